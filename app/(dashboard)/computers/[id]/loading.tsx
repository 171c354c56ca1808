export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading the computer" className="animate-pulse space-y-6">
      <div className="h-8 w-64 rounded bg-line" />
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="h-64 rounded-lg bg-line/70 lg:col-span-2" />
        <div className="h-64 rounded-lg bg-line/70" />
      </div>
      {Array.from({ length: 6 }, (_, i) => (
        <div key={i} className="h-11 rounded bg-line/70" />
      ))}
    </div>
  );
}
