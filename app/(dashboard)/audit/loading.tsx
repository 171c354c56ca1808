export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading the audit log" className="animate-pulse space-y-3">
      <div className="h-8 w-48 rounded bg-line" />
      <div className="h-20 w-full rounded bg-line/70" />
      {Array.from({ length: 10 }, (_, i) => (
        <div key={i} className="h-11 rounded bg-line/70" />
      ))}
    </div>
  );
}
