import type { Metadata } from "next";

import { TRPCReactProvider } from "./_trpc/client";

import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Pomona", template: "%s · Pomona" },
  description: "App Installers for your Mac fleet",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans antialiased">
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
