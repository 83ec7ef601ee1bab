// The outbox relay: claims due deliveries with a lease (safe with several server instances), POSTs each signed
// envelope, and records the outcome on the delivery row and the conversation timeline.
import type { FastifyBaseLogger } from 'fastify';
import { addTimeline } from '../store/conversations';
import type { Store } from '../store/database';
import {
	claimDueDeliveries,
	claimDueProbes,
	finishAttempt,
	finishProbe,
	getProbeState,
	recordSubscriptionHealth,
	releaseDeliveries,
	releaseLease,
	scheduleProbe,
	type ClaimedDelivery,
	type ClaimedProbe,
} from '../store/outbox';
import type { NextAttemptReason } from '../store/schema';
import { createDestinationPolicy, RefusedDestinationError, type DestinationPolicy } from './destinations';
import {
	DEFAULT_PROBE,
	describeNextAttempt,
	destinationSignal,
	isEarlyAttempt,
	jitteredDelayMs,
	looksDown,
	probeAnswered,
	probeDelayMs,
	type ProbePolicy,
} from './resume';
import { RELAY_MAX_IN_FLIGHT, RELAY_MAX_IN_FLIGHT_PER_URL } from '../limits';
import { retryAfterMs } from './retry-after';
import { sendWebhook } from './send';
import { signPayload } from './signing';

/** Delay before each attempt: the first is immediate, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export interface RelayOptions {
	/** Delays before attempt 1..n; after the last attempt fails the delivery is failed. */
	retryScheduleMs?: number[];
	/** How often the relay looks for due deliveries when nothing woke it. */
	pollIntervalMs?: number;
	attemptTimeoutMs?: number;
	/** Deliveries in flight at once per destination URL (per instance). */
	maxInFlightPerUrl?: number;
	/** Deliveries in flight at once over all destinations (per instance); bounds connections and memory. */
	maxInFlight?: number;
	/** Deliveries claimed per pass. */
	batchSize?: number;
	/** false: do not start the loop (tests that only look at the outbox). */
	enabled?: boolean;
	/** A destination failing without a success for this long is marked failing and reported (default 1 h). */
	markFailingAfterMs?: number;
	/**
	 * Fault tests only: hold the first attempt just before sending or just after the receiver answered (before
	 * the result is recorded), so a test can kill the process at that point.
	 */
	faultPause?: FaultPausePoint;
	/** Which destinations may be contacted; checked again on the resolved address of every attempt. */
	destinations?: DestinationPolicy;
	/** Each retry waits its schedule step plus up to this fraction of it (default 0.2). */
	retryJitter?: number;
	/** How a destination that looks down is probed until it answers (default 1 s doubling to 60 s, for 1 h). */
	probe?: Partial<ProbePolicy>;
	/** Random source for jitter (tests). */
	random?: () => number;
}

export type FaultPausePoint = 'before-send' | 'after-send';
/** Thrown inside the bookkeeping transaction to roll it back when the attempt's lease was lost. */
const LEASE_LOST = new Error('lease lost');
/** How long a fault pause holds before going on, so a test that never kills still ends. */
const FAULT_PAUSE_MS = 60_000;

export interface Relay {
	start(): void;
	/** Look for work now (called after a commit that queued deliveries). */
	wake(): void;
	/** Resolves once the loop has stopped and in-flight attempts have finished. */
	stop(): Promise<void>;
	/** One claim-and-send pass; resolves when the claimed deliveries are done (tests). */
	runOnce(): Promise<number>;
	/** For readiness: whether the loop runs, when its last pass ended and how (an error message if it failed). */
	status(): RelayStatus;
}

export interface RelayStatus {
	running: boolean;
	pollIntervalMs: number;
	lastPassAt?: Date;
	lastPassError?: string;
}

export function createRelay(store: Store, log: FastifyBaseLogger, options: RelayOptions = {}): Relay {
	const schedule = options.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
	const pollMs = options.pollIntervalMs ?? 1_000;
	const timeoutMs = options.attemptTimeoutMs ?? 15_000;
	const perUrl = options.maxInFlightPerUrl ?? RELAY_MAX_IN_FLIGHT_PER_URL;
	const maxInFlight = options.maxInFlight ?? RELAY_MAX_IN_FLIGHT;
	const batch = options.batchSize ?? 50;
	const markFailingAfterMs = options.markFailingAfterMs ?? 3_600_000;
	const destinations = options.destinations ?? createDestinationPolicy();
	const jitter = options.retryJitter ?? 0.2;
	const probePolicy: ProbePolicy = { ...DEFAULT_PROBE, ...options.probe };
	const random = options.random ?? Math.random;
	// A probe is one OPTIONS request: it gets a shorter timeout than a delivery.
	const probeTimeoutMs = Math.min(timeoutMs, 5_000);
	// The lease outlives the attempt timeout (plus bookkeeping) so a live attempt is never claimed twice.
	const leaseMs = timeoutMs + Math.min(30_000, timeoutMs);
	// Never wait longer than the schedule's longest step, whatever Retry-After asks for.
	const maxDelayMs = Math.max(...schedule);
	let faultPaused = false;

	const inFlight = new Map<string, number>();
	const running = new Set<Promise<void>>();
	// Aborts attempts still running at shutdown; their rows are released for a later retry.
	let shutdown = new AbortController();
	let stopped = true;
	let timer: NodeJS.Timeout | undefined;
	let passing = false;
	let again = false;

	const capacity = (url: string) => perUrl - (inFlight.get(url) ?? 0);

	function track(p: Promise<void>, what: string) {
		const tracked = p
			.catch((err) => log.error({ err }, `${what} bookkeeping failed`))
			.finally(() => running.delete(tracked));
		running.add(tracked);
	}

	async function pass(): Promise<number> {
		const now = new Date();
		for (const p of await claimDueProbes(store.db, { now, leaseMs: probeTimeoutMs + 5_000, limit: batch })) track(probe(p), 'probe');
		const room = Math.min(batch, maxInFlight - running.size);
		if (room <= 0) return 0;
		const claimed = await claimDueDeliveries(store.db, { now, leaseMs, limit: room, capacity });
		for (const d of claimed) {
			inFlight.set(d.url, (inFlight.get(d.url) ?? 0) + 1);
			// The destination's slot frees once it accepted the delivery: the next one to it is claimed and sent while
			// this one's outcome is being recorded. (`running` still counts it until then, bounding memory.)
			let sending = true;
			const sent = () => {
				if (!sending) return;
				sending = false;
				const left = (inFlight.get(d.url) ?? 1) - 1;
				if (left <= 0) inFlight.delete(d.url);
				else inFlight.set(d.url, left);
				// A slot freed up: queued deliveries for this URL can go now.
				if (!stopped) wake();
			};
			const p = attempt(d, sent)
				.catch((err) => log.error({ err, deliveryId: d.id }, 'delivery bookkeeping failed'))
				.finally(() => {
					running.delete(p);
					sent();
					if (!stopped) wake();
				});
			running.add(p);
		}
		return claimed.length;
	}

	async function faultPause(point: FaultPausePoint, d: ClaimedDelivery): Promise<void> {
		if (options.faultPause !== point || faultPaused) return;
		faultPaused = true;
		log.warn({ faultPause: point, deliveryId: d.id }, 'fault pause');
		await new Promise((r) => setTimeout(r, FAULT_PAUSE_MS));
	}

	/** One attempt; `sent` is called as soon as the destination accepted the delivery. */
	async function attempt(d: ClaimedDelivery, sent: () => void): Promise<void> {
		const attemptNo = d.attempts + 1;
		await faultPause('before-send', d);
		const timestamp = new Date();
		const headers = signPayload(d.secret, d.id, timestamp, d.envelope);
		let statusCode: number | null = null;
		let error: string | null = null;
		let retryAfter: number | undefined;
		const timeout = AbortSignal.timeout(timeoutMs);
		try {
			const res = await sendWebhook(
				destinations,
				d.url,
				{ ...headers, 'content-type': 'application/json', 'user-agent': 'agent-bridge-relay/1' },
				d.envelope,
				AbortSignal.any([timeout, shutdown.signal]),
			);
			statusCode = res.statusCode;
			if (res.statusCode < 200 || res.statusCode >= 300) error = `HTTP ${res.statusCode}`;
			// A destination that accepted frees its slot at once; a failure keeps it until recorded (and probed).
			else sent();
			retryAfter = retryAfterMs(res.retryAfter, Date.now());
		} catch (err) {
			const e = err as NodeJS.ErrnoException;
			if (timeout.aborted) error = `timed out after ${timeoutMs} ms`;
			else if (e instanceof RefusedDestinationError) error = `destination refused: ${e.message}`;
			else error = e.code ?? e.message;
		}

		if (shutdown.signal.aborted) {
			// Not the receiver's fault: release the lease without counting the attempt (same webhook-id next time).
			await releaseLease(store.db, d).catch(() => undefined);
			return;
		}
		await faultPause('after-send', d);
		await recordAttempt(d, { attemptNo, error, statusCode, retryAfter });
	}

	/** The outcome of one attempt: the delivery row, the destination's health and probe, the timeline. */
	async function recordAttempt(
		d: ClaimedDelivery,
		r: { attemptNo: number; error: string | null; statusCode: number | null; retryAfter: number | undefined },
	): Promise<void> {
		const now = Date.now();
		const delivered = r.error === null;
		const next = nextAttempt(d, r.retryAfter);
		const exhausted = !delivered && next.exhausted;
		const status = delivered ? 'delivered' : exhausted ? 'failed' : 'pending';
		const nextAttemptAt = new Date(delivered || exhausted ? now : now + next.delayMs).toISOString();
		// A delivery that went through is the best sign its destination is back: release the rest at once. (Before
		// the health below clears the subscription's failing state, which is what the signal looks for.)
		if (delivered) await resumeAfterSuccess(d, now);
		// The attempt and the destination's health in one commit (one write to disk, not two). The subscription row
		// first, then the delivery, the order deleting a subscription takes them in; a lost lease writes neither.
		const marked = await store.db
			.transaction()
			.execute(async (trx) => {
				const mark = await recordSubscriptionHealth(trx, d.subscriptionId, { ok: delivered, error: r.error, at: new Date(now), markFailingAfterMs });
				const recorded = await finishAttempt(trx, d, {
					status,
					attempts: r.attemptNo,
					scheduleStep: next.step,
					nextAttemptAt,
					nextAttemptReason: next.reason,
					error: r.error,
					statusCode: r.statusCode,
				});
				if (!recorded) throw LEASE_LOST;
				return mark;
			})
			.catch((err) => {
				if (err === LEASE_LOST) return undefined;
				throw err;
			});
		if (marked === undefined) return; // the lease was lost (e.g. subscription deleted meanwhile): another writer owns the row
		if (marked) {
			log.warn({ subscriptionId: d.subscriptionId, error: r.error }, 'subscription marked failing: its destination has not accepted a delivery for a long time');
		}
		// A receiver that asked for time with Retry-After is not probed before then.
		if (!delivered && next.reason !== 'retry-after' && looksDown(r.statusCode, r.error)) await probeLater(d.subscriptionId, now);
		// A failed attempt is worth an operator's look; a delivered one is routine.
		log[delivered ? 'info' : 'warn'](
			{ deliveryId: d.id, eventId: d.eventId, subscriptionId: d.subscriptionId, attempt: r.attemptNo, statusCode: r.statusCode, status, error: r.error },
			delivered ? 'webhook delivery attempt' : 'webhook delivery attempt failed',
		);
		if (d.conversationId) {
			await addTimeline(store.db, d.workspaceId, d.conversationId, 'delivery', {
				eventId: d.eventId,
				eventType: d.eventType,
				deliveryId: d.id,
				subscriptionId: d.subscriptionId,
				attempt: r.attemptNo,
				status: delivered ? 'delivered' : exhausted ? 'failed' : 'retrying',
				statusCode: r.statusCode,
				...(r.error ? { error: r.error } : {}),
				...(isEarlyAttempt(d.nextAttemptReason) ? { attemptedEarly: describeNextAttempt(d.nextAttemptReason, d.scheduleStep, schedule.length) } : {}),
				...(status === 'pending'
					? { nextAttemptAt, nextAttemptReason: next.reason, nextAttemptWhy: describeNextAttempt(next.reason, next.step, schedule.length) }
					: {}),
			});
		}
	}

	/**
	 * Where a failed attempt leaves the delivery in its retry schedule. An attempt brought forward by a release does
	 * not advance the schedule (a destination that answers probes but fails deliveries cannot use up the retries
	 * early); the receiver may ask for more time with Retry-After, never for less than the schedule.
	 */
	function nextAttempt(d: ClaimedDelivery, retryAfter: number | undefined) {
		const step = isEarlyAttempt(d.nextAttemptReason) ? d.scheduleStep : d.scheduleStep + 1;
		const exhausted = step >= schedule.length;
		const wait = jitteredDelayMs(schedule[Math.max(step, 1)] ?? 0, jitter, random);
		const askedLonger = retryAfter !== undefined && retryAfter > wait;
		const delayMs = askedLonger ? Math.min(retryAfter, maxDelayMs) : wait;
		const reason: NextAttemptReason = askedLonger ? 'retry-after' : 'schedule';
		return { step, exhausted, delayMs, reason };
	}

	async function resumeAfterSuccess(d: ClaimedDelivery, now: number): Promise<void> {
		const signal = await destinationSignal(store.db, d.workspaceId, {
			reason: 'destination-delivered',
			subscriptionId: d.subscriptionId,
			url: d.url,
			now: new Date(now),
		});
		if (signal.released.length + signal.probed.length > 0) {
			log.info({ subscriptionId: d.subscriptionId, released: signal.released.length, probed: signal.probed.length }, 'destination back: pending deliveries released');
			wake();
		}
	}

	/** A destination that looks down is probed on a short capped backoff, for as long as it has not been down for long. */
	async function probeLater(subscriptionId: string, now: number): Promise<void> {
		const state = await getProbeState(store.db, subscriptionId);
		if (!state) return;
		const downFor = now - Date.parse(state.failingSince ?? new Date(now).toISOString());
		if (downFor >= probePolicy.forMs) return;
		await scheduleProbe(store.db, [subscriptionId], new Date(now + probeDelayMs(state.probeFailures, probePolicy, random)));
	}

	/** A CORS preflight on the webhook URL: n8n answers 204 once the webhook is registered again, and runs nothing. */
	async function probe(p: ClaimedProbe): Promise<void> {
		let statusCode: number | null = null;
		let error: string | null = null;
		try {
			const res = await sendWebhook(
				destinations,
				p.url,
				// With an Origin (a CORS preflight) n8n looks the webhook up: 404 until the workflow is active again.
				{ 'user-agent': 'agent-bridge-relay/1', origin: new URL(p.url).origin, 'access-control-request-method': 'POST' },
				'',
				AbortSignal.any([AbortSignal.timeout(probeTimeoutMs), shutdown.signal]),
				'OPTIONS',
			);
			statusCode = res.statusCode;
		} catch (err) {
			error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
		}
		if (shutdown.signal.aborted) return; // the lease runs out and another pass probes again
		const now = Date.now();
		const up = statusCode !== null && probeAnswered(statusCode);
		const probes = p.probeFailures + 1;
		const downFor = now - Date.parse(p.failingSince ?? new Date(now).toISOString());
		// Down: the next probe after a longer (capped) wait, unless it has been down for long. Up: no probe until the
		// released deliveries fail again; the count is kept so a destination that answers probes but fails deliveries
		// is probed less and less often.
		const nextProbeAt = up || downFor >= probePolicy.forMs ? null : new Date(now + probeDelayMs(probes, probePolicy, random));
		if (!(await finishProbe(store.db, p, { nextProbeAt, probeFailures: probes }))) return;
		log.info({ subscriptionId: p.subscriptionId, statusCode, error, up, nextProbeAt }, 'destination probe');
		if (!up) return;
		const released = await releaseDeliveries(store.db, p.workspaceId, { subscriptionIds: [p.subscriptionId], reason: 'probe', now: new Date(now) });
		if (released.length > 0) wake();
	}

	function schedule_(delay: number) {
		if (stopped) return;
		if (timer) clearTimeout(timer);
		timer = setTimeout(loop, delay);
		timer.unref?.();
	}

	async function loop() {
		timer = undefined;
		if (stopped) return;
		if (passing) {
			again = true;
			return;
		}
		passing = true;
		let claimed = 0;
		try {
			claimed = await pass();
			lastPass = { at: new Date() };
		} catch (err) {
			lastPass = { at: new Date(), error: (err as Error).message };
			if (!stopped) log.error({ err }, 'delivery relay pass failed');
		} finally {
			passing = false;
		}
		// A full batch or a wake during the pass means there may be more right away.
		const more = again || claimed >= batch;
		again = false;
		schedule_(more ? 0 : pollMs);
	}

	let lastPass: { at: Date; error?: string } | undefined;

	function wake() {
		if (stopped) return;
		if (passing) again = true;
		else schedule_(0);
	}

	return {
		start() {
			if (options.enabled === false || !stopped) return;
			stopped = false;
			shutdown = new AbortController();
			schedule_(0);
		},
		wake,
		async stop() {
			stopped = true;
			shutdown.abort();
			if (timer) clearTimeout(timer);
			timer = undefined;
			while (running.size > 0 || passing) {
				await Promise.allSettled([...running]);
				if (passing) await new Promise((r) => setTimeout(r, 5));
			}
		},
		status: () => ({ running: !stopped, pollIntervalMs: pollMs, lastPassAt: lastPass?.at, lastPassError: lastPass?.error }),
		async runOnce() {
			const n = await pass();
			await Promise.allSettled([...running]);
			return n;
		},
	};
}
