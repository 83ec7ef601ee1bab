// Numbers at a glance: per agent and UTC day, conversations, outcomes, fields collected, actions fired and their
// workflow round trip (fired -> a result written with the action's event as causation), fallbacks, handoffs and
// delivery failures; as JSON and as CSV with the same rows.
import type { AppContext } from '../context';
import { STATS_MAX_DAYS } from '../limits';
import { conversationsStarted, countedEntries, deliveryFailures, roundTripResults, type Period, type StatsEntry } from '../store/stats';
import { HttpError } from '../util/http-error';
import { parseJson } from '../util/json';

export interface Metrics {
	conversations: number;
	ended: number;
	/** Ended conversations by outcome; "(none)" for those that ended without one. */
	outcomes: Record<string, number>;
	fieldsCollected: number;
	actionsFired: number;
	/** Fired actions whose workflow wrote a result back (fields or a reply), and how long that took. */
	roundTrips: number;
	roundTripAvgMs: number | null;
	roundTripMaxMs: number | null;
	fallbacks: number;
	handoffs: number;
	deliveryFailures: number;
}

export interface Stats {
	from: string;
	to: string;
	agentId: string | null;
	/** Every outcome seen in the period, sorted (the CSV's outcome columns). */
	outcomes: string[];
	/** One row per day and agent that has any number in the period, every day of the period for each such agent. */
	rows: (Metrics & { day: string; agentId: string | null })[];
	/** Every day of the period, the agents summed. */
	days: (Metrics & { day: string })[];
	agents: (Metrics & { agentId: string | null })[];
	totals: Metrics;
}

export const NO_OUTCOME = '(none)';
const DAY_MS = 86_400_000;

/** Internal sums: the round trip's total is kept to average over any grouping. */
type Sums = Omit<Metrics, 'roundTripAvgMs' | 'roundTripMaxMs'> & { roundTripTotalMs: number; roundTripMaxMs: number };

const emptySums = (): Sums => ({
	conversations: 0,
	ended: 0,
	outcomes: {},
	fieldsCollected: 0,
	actionsFired: 0,
	roundTrips: 0,
	roundTripTotalMs: 0,
	roundTripMaxMs: 0,
	fallbacks: 0,
	handoffs: 0,
	deliveryFailures: 0,
});

function addInto(into: Sums, s: Sums): void {
	for (const k of ['conversations', 'ended', 'fieldsCollected', 'actionsFired', 'roundTrips', 'roundTripTotalMs', 'fallbacks', 'handoffs', 'deliveryFailures'] as const) into[k] += s[k];
	into.roundTripMaxMs = Math.max(into.roundTripMaxMs, s.roundTripMaxMs);
	for (const [name, n] of Object.entries(s.outcomes)) into.outcomes[name] = (into.outcomes[name] ?? 0) + n;
}

function metrics(s: Sums): Metrics {
	const { roundTripTotalMs, roundTripMaxMs, ...rest } = s;
	return {
		...rest,
		outcomes: { ...s.outcomes },
		roundTripAvgMs: s.roundTrips ? Math.round(roundTripTotalMs / s.roundTrips) : null,
		roundTripMaxMs: s.roundTrips ? roundTripMaxMs : null,
	};
}

/** The period asked for: whole UTC days, `to` included; by default the last 30 days. At most STATS_MAX_DAYS days. */
export function periodOf(query: { from?: string; to?: string }, now = new Date()): { from: string; to: string; days: string[] } {
	const to = query.to ?? now.toISOString().slice(0, 10);
	const from = query.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
	const span = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
	if (span < 1) throw new HttpError(400, `querystring/to: ${to} is before from ${from}`);
	if (span > STATS_MAX_DAYS) throw new HttpError(400, `querystring: the period is ${span} days; at most ${STATS_MAX_DAYS} days per request`);
	const days = Array.from({ length: span }, (_, i) => new Date(Date.parse(from) + i * DAY_MS).toISOString().slice(0, 10));
	return { from, to, days };
}

/** Fired action's event -> when its first result came: a workflow's write carrying that event as causation. */
async function roundTripsByEvent(pages: AsyncIterable<{ at: string; detail: string }[]>): Promise<Map<string, string>> {
	const first = new Map<string, string>();
	for await (const page of pages) {
		for (const r of page) {
			const causation = parseJson<{ causationEventId?: string }>(r.detail, {}).causationEventId;
			if (causation && !first.has(causation)) first.set(causation, r.at);
		}
	}
	return first;
}

/** What one timeline entry adds to its day and agent. */
function countEntry(s: Sums, entry: StatsEntry, results: Map<string, string>): void {
	const detail = parseJson<Record<string, unknown>>(entry.detail, {});
	switch (entry.kind) {
		case 'action.fired': {
			s.actionsFired += 1;
			const resultAt = typeof detail.eventId === 'string' ? results.get(detail.eventId) : undefined;
			if (resultAt && resultAt >= entry.at) {
				const ms = Date.parse(resultAt) - Date.parse(entry.at);
				s.roundTrips += 1;
				s.roundTripTotalMs += ms;
				s.roundTripMaxMs = Math.max(s.roundTripMaxMs, ms);
			}
			return;
		}
		case 'fields.updated':
			// Fields the agent collected from the contact; a workflow's writes are its results, not collected fields.
			if (detail.by === 'agent') s.fieldsCollected += Object.keys((detail.collected as Record<string, unknown> | undefined) ?? {}).length;
			return;
		case 'engine.fallback':
			s.fallbacks += 1;
			return;
		case 'handoff':
			s.handoffs += 1;
			return;
		case 'conversation.ended': {
			s.ended += 1;
			const outcome = typeof detail.outcome === 'string' && detail.outcome ? detail.outcome : NO_OUTCOME;
			s.outcomes[outcome] = (s.outcomes[outcome] ?? 0) + 1;
			return;
		}
	}
}

export async function workspaceStats(ctx: AppContext, workspaceId: string, query: { from?: string; to?: string; agentId?: string }): Promise<Stats> {
	const { from, to, days } = periodOf(query);
	const period: Period = { workspaceId, from: `${from}T00:00:00.000Z`, to: new Date(Date.parse(to) + DAY_MS).toISOString(), agentId: query.agentId };
	const db = ctx.store.db;
	const [started, resultAt, failures] = await Promise.all([conversationsStarted(db, period), roundTripsByEvent(roundTripResults(db, period)), deliveryFailures(db, period)]);

	// Step 1: sums per (day, agent).
	const cells = new Map<string, Sums>();
	const cell = (d: string, agentId: string | null) => {
		const k = `${d}\u0000${agentId ?? ''}`;
		let s = cells.get(k);
		if (!s) cells.set(k, (s = emptySums()));
		return s;
	};
	for (const c of started) cell(c.day, c.agentId).conversations += c.n;
	for await (const page of countedEntries(db, period)) for (const e of page) countEntry(cell(e.at.slice(0, 10), e.agentId), e, resultAt);
	for (const f of failures) cell(f.day, f.agentId).deliveryFailures += f.n;

	// Step 2: dense rows for every agent seen, and the sums per day, per agent and overall.
	const agentIds = [...new Set([...cells.keys()].map((k) => k.split('\u0000')[1]))].sort();
	const rows: Stats['rows'] = [];
	const perDay = new Map(days.map((d) => [d, emptySums()]));
	const perAgent = new Map(agentIds.map((a) => [a, emptySums()]));
	const totals = emptySums();
	for (const d of days) {
		for (const a of agentIds) {
			const s = cells.get(`${d}\u0000${a}`) ?? emptySums();
			rows.push({ day: d, agentId: a || null, ...metrics(s) });
			addInto(perDay.get(d)!, s);
			addInto(perAgent.get(a)!, s);
			addInto(totals, s);
		}
	}
	return {
		from,
		to,
		agentId: query.agentId ?? null,
		outcomes: Object.keys(totals.outcomes).sort(),
		rows,
		days: days.map((d) => ({ day: d, ...metrics(perDay.get(d)!) })),
		agents: agentIds.map((a) => ({ agentId: a || null, ...metrics(perAgent.get(a)!) })),
		totals: metrics(totals),
	};
}

const csvCell = (v: string | number | null) => {
	const s = v === null ? '' : String(v);
	// Quoted when needed; a leading =, +, - or @ is prefixed so a spreadsheet does not run it as a formula.
	const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
	return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The same rows as the JSON's `rows`, one line per day and agent; one column per outcome seen in the period. */
export function statsCsv(stats: Stats): string {
	const header = [
		'day',
		'agent_id',
		'conversations',
		'ended',
		...stats.outcomes.map((o) => `outcome:${o}`),
		'fields_collected',
		'actions_fired',
		'round_trips',
		'round_trip_avg_ms',
		'round_trip_max_ms',
		'fallbacks',
		'handoffs',
		'delivery_failures',
	];
	const lines = stats.rows.map((r) =>
		[
			r.day,
			r.agentId,
			r.conversations,
			r.ended,
			...stats.outcomes.map((o) => r.outcomes[o] ?? 0),
			r.fieldsCollected,
			r.actionsFired,
			r.roundTrips,
			r.roundTripAvgMs,
			r.roundTripMaxMs,
			r.fallbacks,
			r.handoffs,
			r.deliveryFailures,
		]
			.map(csvCell)
			.join(','),
	);
	return [header.map(csvCell).join(','), ...lines].join('\r\n') + '\r\n';
}
