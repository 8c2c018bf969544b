import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "@/api/client";
import { downloadAttachment } from "@/components/MessageText";

export type Message = Schemas["MessageOut"];

export function useInbox(administrationId: string, unreadOnly: boolean) {
  return useInfiniteQuery({
    queryKey: ["inbox", administrationId, unreadOnly],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/inbox", {
          params: {
            path: { administration_id: administrationId },
            query: { unread: unreadOnly ? true : undefined, cursor: pageParam ?? undefined, limit: 50 },
          },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/** Mark a received message read or unread; shown at once (the gateway records it at once). */
export function useMarkRead(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ messageId, read }: { messageId: string; read: boolean }) => {
      const params = { params: { path: { administration_id: administrationId, message_id: messageId } } };
      return read
        ? unwrap(await api.POST("/api/v1/administrations/{administration_id}/messages/{message_id}/read", params))
        : unwrap(await api.POST("/api/v1/administrations/{administration_id}/messages/{message_id}/unread", params));
    },
    onSettled: () => {
      void queries.invalidateQueries({ queryKey: ["inbox", administrationId] });
      void queries.invalidateQueries({ queryKey: ["dashboard", administrationId] });
    },
  });
}

/** A whole conversation with each message's text, asked for when the thread is opened. */
export function useThread(administrationId: string, threadId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["thread", administrationId, threadId],
    enabled,
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/threads/{thread_id}", {
          params: { path: { administration_id: administrationId, thread_id: threadId }, query: { limit: 50 } },
        }),
      ),
  });
}

export type Thread = { threadId: string; debtorId: string; debtorName: string; messages: Message[] };

/** The inbox's messages grouped by thread, in the order their newest message came. */
export function threadsOf(messages: Message[]): Thread[] {
  const threads = new Map<string, Thread>();
  for (const message of messages) {
    let thread = threads.get(message.thread_id);
    if (!thread) {
      thread = {
        threadId: message.thread_id,
        debtorId: message.debtor_id,
        debtorName: message.debtor_name ?? message.debtor_id,
        messages: [],
      };
      threads.set(message.thread_id, thread);
    }
    thread.messages.push(message);
  }
  return [...threads.values()];
}

/** Letters waiting to be posted, oldest first. */
export function useLetters(administrationId: string) {
  return useInfiniteQuery({
    queryKey: ["letters", administrationId],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/letters", {
          params: { path: { administration_id: administrationId }, query: { cursor: pageParam ?? undefined, limit: 20 } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useMarkPosted(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (messageId: string) =>
      unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/messages/{message_id}/posted", {
          params: { path: { administration_id: administrationId, message_id: messageId } },
        }),
      ),
    onSuccess: (_, messageId) => {
      // Messaging says so in an event the read model follows moments later: the letter
      // leaves the list at once here.
      queries.setQueryData(
        ["letters", administrationId],
        (data: { pages: { items: Message[] }[] } | undefined) =>
          data && {
            ...data,
            pages: data.pages.map((page) => ({ ...page, items: page.items.filter((m) => m.message_id !== messageId) })),
          },
      );
    },
  });
}

/** The letter's PDF, fetched with the session and handed to the browser as a download. */
export function useLetterPdf(administrationId: string) {
  return useMutation({
    mutationFn: async (messageId: string) => {
      const path = { administration_id: administrationId, message_id: messageId };
      const detail = unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/messages/{message_id}", { params: { path } }),
      );
      const pdf = detail.attachments.find((a) => a.mime_type === "application/pdf") ?? detail.attachments[0];
      if (!pdf) throw new Error("no attachment");
      return downloadAttachment(administrationId, messageId, pdf);
    },
  });
}

export function useBlockedAddresses(administrationId: string) {
  return useInfiniteQuery({
    queryKey: ["blocked-addresses", administrationId],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/blocked-addresses", {
          params: { path: { administration_id: administrationId }, query: { after: pageParam ?? undefined, limit: 20 } },
        }),
      ),
    getNextPageParam: (page) => page.next_after ?? undefined,
  });
}

export function useUnblock(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (address: string) =>
      unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/blocked-addresses/unblock", {
          params: { path: { administration_id: administrationId } },
          body: { address },
        }),
      ),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["blocked-addresses", administrationId] });
    },
  });
}
