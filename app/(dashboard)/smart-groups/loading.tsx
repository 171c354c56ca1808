export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading smart groups" className="animate-pulse space-y-3">
      <div className="h-8 w-48 rounded bg-line" />
      {Array.from({ length: 6 }, (_, i) => (
        <div key={i} className="h-11 rounded bg-line/70" />
      ))}
    </div>
  );
}
