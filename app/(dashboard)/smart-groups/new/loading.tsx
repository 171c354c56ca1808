export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading the editor" className="animate-pulse space-y-4">
      <div className="h-8 w-64 rounded bg-line" />
      <div className="h-24 rounded-lg bg-line/70" />
      {Array.from({ length: 3 }, (_, i) => (
        <div key={i} className="h-14 rounded bg-line/70" />
      ))}
      <div className="h-32 rounded-lg bg-line/70" />
    </div>
  );
}
