import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "@/api/client";
import type { paths } from "@/api/schema";

export type InvoiceSummary = Schemas["InvoiceSummary"];
export type InvoiceDetail = Schemas["InvoiceDetail"];

/** The list's filters, as they stand in the address (so a filtered list can be linked). */
export const FILTERS = [
  "q",
  "status",
  "phase",
  "attention",
  "paused",
  "overdue",
  "due_from",
  "due_to",
  "amount_min",
  "amount_max",
  "debtor_id",
  "sort",
  "order",
] as const;
export type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

type ListQuery = NonNullable<
  paths["/api/v1/administrations/{administration_id}/invoices"]["get"]["parameters"]["query"]
>;

function query(filters: Filters, cursor: string | null): ListQuery {
  const flag = (value: string | undefined) => (value === undefined ? undefined : value === "true");
  return {
    q: filters.q || undefined,
    status: (filters.status as "open" | "settled" | "all" | undefined) || undefined,
    phase: filters.phase || undefined,
    attention: filters.attention || undefined,
    paused: flag(filters.paused),
    overdue: flag(filters.overdue),
    due_from: filters.due_from || undefined,
    due_to: filters.due_to || undefined,
    amount_min: filters.amount_min || undefined,
    amount_max: filters.amount_max || undefined,
    debtor_id: filters.debtor_id || undefined,
    sort: (filters.sort as "due_date" | undefined) || undefined,
    order: (filters.order as "asc" | "desc" | undefined) || undefined,
    cursor: cursor ?? undefined,
    limit: 50,
  };
}

export function useInvoices(administrationId: string, filters: Filters) {
  return useInfiniteQuery({
    queryKey: ["invoices", administrationId, filters],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/invoices", {
          params: { path: { administration_id: administrationId }, query: query(filters, pageParam) },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useInvoice(administrationId: string, invoiceId: string) {
  return useQuery({
    queryKey: ["invoice", administrationId, invoiceId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/invoices/{invoice_id}", {
          params: { path: { administration_id: administrationId, invoice_id: invoiceId } },
        }),
      ),
  });
}

export type InvoiceCommand =
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "skip" }
  | { kind: "perform-now" }
  | { kind: "reset" }
  | { kind: "reschedule"; to: string };

/** Step control of one invoice; the invoice and the lists are asked again afterwards. */
export function useInvoiceCommand(administrationId: string, invoiceId: string) {
  const queries = useQueryClient();
  const path = { administration_id: administrationId, invoice_id: invoiceId };
  const base = "/api/v1/administrations/{administration_id}/invoices/{invoice_id}" as const;
  return useMutation({
    mutationFn: async (command: InvoiceCommand) => {
      const params = { params: { path } };
      switch (command.kind) {
        case "pause":
          return unwrap(await api.POST(`${base}/pause`, params));
        case "resume":
          return unwrap(await api.POST(`${base}/resume`, params));
        case "skip":
          return unwrap(await api.POST(`${base}/steps/skip`, params));
        case "perform-now":
          return unwrap(await api.POST(`${base}/steps/perform-now`, params));
        case "reset":
          return unwrap(await api.POST(`${base}/flow/reset`, params));
        case "reschedule":
          return unwrap(
            await api.POST(`${base}/steps/reschedule`, { ...params, body: { to: command.to } }),
          );
      }
    },
    onSettled: () => {
      void queries.invalidateQueries({ queryKey: ["invoice", administrationId, invoiceId] });
      void queries.invalidateQueries({ queryKey: ["invoices", administrationId] });
      void queries.invalidateQueries({ queryKey: ["dashboard", administrationId] });
    },
  });
}

export type CreditNote = Schemas["CreditNoteOut"];

/** Credit notes: documents of their own, never reminded of, listed beside the invoices. */
export function useCreditNotes(administrationId: string, status: string | undefined) {
  return useInfiniteQuery({
    queryKey: ["credit-notes", administrationId, status],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/credit-notes", {
          params: {
            path: { administration_id: administrationId },
            query: {
              status: (status as "open" | "settled" | "all" | undefined) || undefined,
              cursor: pageParam ?? undefined,
              limit: 50,
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}
