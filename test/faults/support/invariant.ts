// The invariant every fault test ends on: each delivery is delivered, pending or failed (nothing vanished),
// each delivered webhook-id reached the receiver, and no workflow ran twice for one event.
import type { NodeReceiver } from './node-receiver';

export interface DeliveryView {
	id: string;
	eventId: string;
	status: 'pending' | 'delivered' | 'failed';
}

export interface Counts {
	events: number;
	deliveries: number;
	delivered: number;
	pending: number;
	failed: number;
}

export interface InvariantLine extends Counts {
	scenario: string;
	receivedIds: number;
	executions: number;
	duplicatesDropped: number;
}

/** Asserts the invariant and returns the line the suite prints. */
export function assertInvariant(scenario: string, counts: Counts, deliveries: DeliveryView[], receiver: NodeReceiver): InvariantLine {
	expect(counts.deliveries).toBe(counts.delivered + counts.pending + counts.failed);
	expect(deliveries).toHaveLength(counts.deliveries);
	// Every event went somewhere: with one subscription, one delivery per event.
	expect(new Set(deliveries.map((d) => d.eventId)).size).toBe(counts.events);
	for (const d of deliveries.filter((x) => x.status === 'delivered')) expect(receiver.acknowledged.has(d.id)).toBe(true);
	for (const [id, n] of receiver.executions) expect([id, n]).toEqual([id, 1]);
	const executions = [...receiver.executions.values()].reduce((a, b) => a + b, 0);
	return {
		scenario,
		...counts,
		receivedIds: receiver.acknowledged.size,
		executions,
		duplicatesDropped: receiver.answers.filter((s) => s >= 200 && s < 300).length - executions,
	};
}

export function formatInvariant(lines: InvariantLine[]): string {
	const rows = lines.map(
		(l) =>
			`  ${l.scenario.padEnd(44)} events=${l.events} deliveries=${l.deliveries} = delivered ${l.delivered} + pending ${l.pending} + failed ${l.failed}; ` +
			`received ids=${l.receivedIds} executions=${l.executions} duplicates dropped=${l.duplicatesDropped}`,
	);
	return `\nDelivery invariant (events created = delivered + pending + failed; each delivered id received; no execution twice)\n${rows.join('\n')}\n`;
}
