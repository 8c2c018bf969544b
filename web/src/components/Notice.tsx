/** A short confirmation of what a command did, announced politely to screen readers. */
export function Notice({ text }: { text: string | null }) {
  return (
    <p className="notice" role="status" aria-live="polite">
      {text ?? ""}
    </p>
  );
}
