"use client";

import { useState } from "react";

import { useSessionUser } from "@/components/auth/role-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { FieldError, FieldHint, Label } from "@/components/ui/label";

const MIN = 12;
const MAX = 256;

async function changeError(res: Response): Promise<string> {
  let body: { code?: unknown; message?: unknown } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON: fall through to the status
  }
  if (body.code === "INVALID_PASSWORD") return "The current password is wrong.";
  if (res.status === 401) return "Your session has ended. Sign in again, then change your password.";
  if (typeof body.message === "string" && body.message) return body.message;
  return `The password was not changed (HTTP ${res.status}).`;
}

/** Anyone signed in changes their own password here; their other sessions end. */
export function YourPassword() {
  const me = useSessionUser();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<{ ok: true } | { ok: false; message: string } | null>(null);
  const [errors, setErrors] = useState<{ next?: string; confirm?: string }>({});

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const found: typeof errors = {};
    if (next.length < MIN) found.next = `At least ${MIN} characters`;
    else if (next.length > MAX) found.next = `At most ${MAX} characters`;
    if (confirm !== next) found.confirm = "The two new passwords differ";
    setErrors(found);
    setResult(null);
    if (Object.keys(found).length > 0) return;
    setPending(true);
    try {
      const res = await fetch("/api/auth/change-password", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ currentPassword: current, newPassword: next, revokeOtherSessions: true }),
      });
      if (res.ok) {
        setCurrent("");
        setNext("");
        setConfirm("");
        setResult({ ok: true });
      } else {
        setResult({ ok: false, message: await changeError(res) });
      }
    } catch {
      setResult({ ok: false, message: "Cannot reach Pomona. Check your network connection and try again." });
    }
    setPending(false);
  }

  return (
    <Card className="p-5">
      <form aria-label="Change your password" noValidate onSubmit={(e) => void submit(e)} className="space-y-4">
        <input type="text" name="username" autoComplete="username" hidden readOnly value={me?.email ?? ""} />
        <div className="grid gap-4 md:grid-cols-3">
          <div>
            <Label htmlFor="current-password">Current password</Label>
            <Input id="current-password" type="password" autoComplete="current-password" required maxLength={MAX} className="mt-1" value={current} onChange={(e) => setCurrent(e.target.value)} />
          </div>
          <div>
            <Label htmlFor="new-password">New password</Label>
            <Input
              id="new-password"
              type="password"
              autoComplete="new-password"
              required
              maxLength={MAX}
              className="mt-1"
              invalid={Boolean(errors.next)}
              aria-describedby={errors.next ? "new-password-error" : "new-password-hint"}
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
            {errors.next ? <FieldError id="new-password-error">{errors.next}</FieldError> : <FieldHint id="new-password-hint">{MIN} to {MAX} characters.</FieldHint>}
          </div>
          <div>
            <Label htmlFor="confirm-password">Confirm new password</Label>
            <Input
              id="confirm-password"
              type="password"
              autoComplete="new-password"
              required
              maxLength={MAX}
              className="mt-1"
              invalid={Boolean(errors.confirm)}
              aria-describedby={errors.confirm ? "confirm-password-error" : undefined}
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
            {errors.confirm ? <FieldError id="confirm-password-error">{errors.confirm}</FieldError> : null}
          </div>
        </div>
        {result && !result.ok ? (
          <Alert tone="danger" role="alert">
            {result.message}
          </Alert>
        ) : null}
        <div className="flex items-center justify-end gap-3">
          <p role="status" className="text-sm text-muted">
            {result?.ok ? "Password changed. Your other sessions were signed out." : null}
          </p>
          <Button type="submit" disabled={pending || !current || !next || !confirm}>
            {pending ? "Changing…" : "Change password"}
          </Button>
        </div>
      </form>
    </Card>
  );
}
