import { useCallback, useEffect, useState } from 'react';
import { allGeneral, NO_ERRORS, type ShownErrors, shownErrors, unreachable } from './api/client';

/** What an openapi-fetch call resolves to (only the parts polling reads). */
type Answer<T> = { data?: T; error?: unknown; response: Response };

/**
 * Loads now and again every `everyMs` until `isDone(data)`, or until an answer that asking again cannot change
 * (a 4xx: signed out, not found, not yours). Errors are the server's messages; a later success clears them.
 */
export function usePolled<T>(request: () => Promise<Answer<T>>, everyMs: number, isDone: (data: T) => boolean) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [errors, setErrors] = useState<ShownErrors | undefined>(undefined);
  const [isRefused, setRefused] = useState(false);

  const load = useCallback(async () => {
    try {
      const { data: answer, error, response } = await request();
      if (error !== undefined || answer === undefined) {
        setErrors(allGeneral(shownErrors(error)));
        if (response.status < 500) setRefused(true);
        return;
      }
      setErrors(undefined);
      setData(answer);
    } catch {
      setErrors(unreachable());
    }
  }, [request]);

  const isSettled = isRefused || (data !== undefined && isDone(data));
  useEffect(() => {
    void load();
    if (isSettled) return;
    const timer = setInterval(() => void load(), everyMs);
    return () => clearInterval(timer);
  }, [load, isSettled, everyMs]);

  return { data, errors, isRefused, reload: load };
}

/**
 * One request at a time on the user's action (a form, a button): `isBusy` while it runs, then `onDone` with its
 * data, or the server's messages (or "cannot be reached") in `errors`.
 */
export function useRequest() {
  const [errors, setErrors] = useState<ShownErrors>(NO_ERRORS);
  const [isBusy, setBusy] = useState(false);
  const run = async <T>(request: () => Promise<{ data?: T; error?: unknown }>, onDone: (data: T) => void | Promise<void>) => {
    setBusy(true);
    try {
      const { data, error } = await request();
      if (error !== undefined || data === undefined) return setErrors(shownErrors(error));
      setErrors(NO_ERRORS);
      await onDone(data);
    } catch {
      setErrors(unreachable());
    } finally {
      setBusy(false);
    }
  };
  return { errors, setErrors, isBusy, run };
}
