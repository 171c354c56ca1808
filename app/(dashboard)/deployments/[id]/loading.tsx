export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading the App Installer" className="animate-pulse space-y-4">
      <div className="h-8 w-72 rounded bg-line" />
      <div className="grid gap-4 lg:grid-cols-[3fr_2fr]">
        <div className="h-48 rounded-lg bg-line/70" />
        <div className="h-48 rounded-lg bg-line/70" />
      </div>
      {Array.from({ length: 6 }, (_, i) => (
        <div key={i} className="h-12 rounded bg-line/70" />
      ))}
    </div>
  );
}
