// What a failed Kubernetes API call may say in a log, an Event or a status: the API server's Status
// message, else the HTTP code, else the error's name; never the request, which may hold Secret data.
export function kubeErrorMessage(error: unknown): string {
  const body = (error as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      const message = (JSON.parse(body) as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    } catch {
      // not JSON: fall through
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? `HTTP ${code}` : error instanceof Error ? error.name : 'unknown error';
}
