export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading settings" className="max-w-4xl animate-pulse space-y-4">
      <div className="h-8 w-48 rounded bg-line" />
      <div className="h-80 rounded-lg bg-line/70" />
      <div className="h-40 rounded-lg bg-line/70" />
    </div>
  );
}
