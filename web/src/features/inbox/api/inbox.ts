import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "@/api/client";

export type Message = Schemas["MessageOut"] & { body?: string | null; text?: string | null };

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
