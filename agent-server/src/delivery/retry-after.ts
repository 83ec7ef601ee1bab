// Retry-After (RFC 9110): delay-seconds or an HTTP date. Anything else is ignored.
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
	if (!value) return undefined;
	const text = value.trim();
	if (/^\d+$/.test(text)) return Number(text) * 1000;
	const at = Date.parse(text);
	if (Number.isNaN(at)) return undefined;
	return Math.max(0, at - nowMs);
}
