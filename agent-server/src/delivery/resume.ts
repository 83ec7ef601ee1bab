// Resuming after an outage: the jittered retry delay, the destination probe's capped backoff, and the signals that a
// destination is back (n8n checking a subscription, a credential test, a delivery that went through).
import type { NextAttemptReason, Queryable } from '../store/schema';
import { failingSubscriptions, releaseDeliveries, resetProbes, scheduleProbe } from '../store/outbox';

/** Reasons that bring an attempt forward: when such an attempt fails, the retry schedule does not advance. */
const EARLY_REASONS: ReadonlySet<NextAttemptReason> = new Set<NextAttemptReason>([
	'retry-now',
	'subscription-checked',
	'destination-delivered',
	'probe',
]);

export function isEarlyAttempt(reason: NextAttemptReason): boolean {
	return EARLY_REASONS.has(reason);
}

export interface ProbePolicy {
	/** First probe delay; it doubles with each probe that finds the destination still down. */
	baseMs: number;
	/** The probe delay never exceeds this. */
	maxMs: number;
	/** Probing stops once the destination has been down this long; the retry schedule alone applies then. */
	forMs: number;
}

// The cap keeps a restarted n8n waiting at most about 10 s: on a plain restart n8n keeps its webhooks registered and
// calls no trigger's checkExists, so the probe is what notices it is back.
export const DEFAULT_PROBE: ProbePolicy = { baseMs: 1_000, maxMs: 10_000, forMs: 3_600_000 };

/** A delivery attempted this recently is not brought forward again by a signal. */
export const SIGNAL_MIN_IDLE_MS = 2_000;
/** A destination probed this recently is not probed again because of a signal. */
export const SIGNAL_PROBE_GAP_MS = 5_000;

/** A retry delay plus up to `jitter` of itself (never less than the schedule), so retries do not go out in lockstep. */
export function jitteredDelayMs(delayMs: number, jitter: number, random: () => number = Math.random): number {
	return delayMs + Math.floor(delayMs * jitter * random());
}

/** Capped exponential backoff with equal jitter: between half and all of min(max, base * 2^probes). */
export function probeDelayMs(probes: number, policy: ProbePolicy, random: () => number = Math.random): number {
	const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(probes, 30));
	return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * Does this failure look like the destination being down (refused, timed out, 404 while n8n restarts, 408, 429,
 * 5xx) rather than up and refusing the request? Only a down destination is probed.
 */
export function looksDown(statusCode: number | null, error: string | null): boolean {
	if (statusCode === null) return error !== null && !error.startsWith('destination refused');
	return statusCode === 404 || statusCode === 408 || statusCode === 429 || statusCode >= 500;
}

/** A probe (a CORS preflight on the webhook URL) says the destination is back: n8n answers 204 for a registered webhook. */
export function probeAnswered(statusCode: number): boolean {
	return statusCode < 500 && statusCode !== 404 && statusCode !== 408 && statusCode !== 429;
}

/** One destination is one origin (scheme, host, port): an n8n instance serving all its webhooks. */
export function sameDestination(a: string, b: string): boolean {
	try {
		return new URL(a).origin === new URL(b).origin;
	} catch {
		return false;
	}
}

export interface SignalResult {
	/** Deliveries brought forward to now. */
	released: string[];
	/** Other failing subscriptions at the destination, probed now (or 5 s after their last probe). */
	probed: string[];
}

/**
 * A sign that a destination is back. The subscription it names (n8n checked or created it, or a delivery to it
 * went through) has its waiting deliveries released at once and its probe backoff reset; every other failing
 * subscription of the workspace at the same destination (all of them for a credential test, which names none) is
 * probed right away, and a probe that finds it answering releases its deliveries. The caller wakes the relay.
 */
export async function destinationSignal(
	db: Queryable,
	workspaceId: string,
	signal: { subscriptionId?: string; reason?: NextAttemptReason; url?: string; now?: Date },
): Promise<SignalResult> {
	const now = signal.now ?? new Date();
	const failing = await failingSubscriptions(db, workspaceId);
	const named = signal.subscriptionId;
	let released: string[] = [];
	if (named && failing.some((s) => s.id === named)) {
		await resetProbes(db, [named]);
		const reason = signal.reason ?? 'subscription-checked';
		released = await releaseDeliveries(db, workspaceId, { subscriptionIds: [named], reason, now, minIdleMs: SIGNAL_MIN_IDLE_MS });
	}
	const others = failing.filter((s) => s.id !== named && (signal.url === undefined || sameDestination(s.url, signal.url))).map((s) => s.id);
	await scheduleProbe(db, others, now, SIGNAL_PROBE_GAP_MS);
	return { released, probed: others };
}

/** Retry now for a whole subscription: every pending delivery is due at once, even past a Retry-After. */
export async function retrySubscriptionNow(db: Queryable, workspaceId: string, subscriptionId: string, now = new Date()): Promise<string[]> {
	await resetProbes(db, [subscriptionId]);
	return releaseDeliveries(db, workspaceId, { subscriptionIds: [subscriptionId], reason: 'retry-now', now, ignoreRetryAfter: true });
}

/** Why a pending delivery is due when it is, in a sentence for the timeline. */
export function describeNextAttempt(reason: NextAttemptReason, step: number, scheduleLength: number): string {
	switch (reason) {
		case 'new':
			return 'first attempt';
		case 'schedule':
			return `retry schedule, attempt ${step + 1} of ${scheduleLength}; sooner if the destination is back (it is probed while down)`;
		case 'retry-after':
			return 'the receiver asked to wait (Retry-After)';
		case 'replay':
			return 'replayed';
		case 'retry-now':
			return 'retry now was asked for';
		case 'subscription-checked':
			return 'n8n checked or created its subscription, so the destination is back';
		case 'destination-delivered':
			return 'another delivery to the same destination went through';
		case 'probe':
			return 'a probe found the destination answering again';
	}
}
