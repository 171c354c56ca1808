"use client";

import { useState } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

async function messageOf(res: Response): Promise<string | undefined> {
  try {
    const body = (await res.json()) as { message?: unknown };
    return typeof body.message === "string" && body.message ? body.message : undefined;
  } catch {
    return undefined;
  }
}

async function signInError(res: Response): Promise<string> {
  if (res.status === 401) return "Wrong email or password.";
  const message = await messageOf(res);
  if (res.status === 429) return message ?? "Too many sign-in attempts. Wait a few minutes, then try again.";
  if (res.status === 400) return message ?? "Enter a valid email address.";
  return message ?? `Sign-in failed (HTTP ${res.status}). Try again.`;
}

/** Email and password to better-auth's sign-in endpoint; the session arrives as an HttpOnly cookie. */
export function LoginForm({ next }: { next: string }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      const res = await fetch("/api/auth/sign-in/email", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: email.trim(), password }),
      });
      if (res.ok) {
        window.location.assign(next);
        return;
      }
      setError(await signInError(res));
      if (res.status === 401) setPassword("");
    } catch {
      setError("Cannot reach Pomona. Check your network connection and try again.");
    }
    setPending(false);
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Sign in" className="space-y-4">
      {error ? (
        <Alert tone="danger" role="alert">
          {error}
        </Alert>
      ) : null}
      <div>
        <Label htmlFor="login-email">Email</Label>
        <Input
          id="login-email"
          type="email"
          name="email"
          autoComplete="username"
          autoFocus
          required
          maxLength={254}
          className="mt-1"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </div>
      <div>
        <Label htmlFor="login-password">Password</Label>
        <Input
          id="login-password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          maxLength={256}
          className="mt-1"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </div>
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
