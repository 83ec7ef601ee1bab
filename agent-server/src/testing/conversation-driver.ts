// Drives an engine through a conversation the way the server does (collected values, fired actions, contact
// updates, transcript), without storage, for engine-level tests and benchmarks.
import type { AgentConfig } from '../engine/agent-config';
import { applyUpdates } from '../engine/fields';
import type { ContactSnapshot, Engine, TranscriptEntry, TurnOutcome } from '../engine/types';

export interface DrivenTurn {
	message: string;
	outcome: TurnOutcome;
	knownBefore: Record<string, string>;
}

export function conversationDriver(engine: Engine, agent: AgentConfig, contact: Partial<ContactSnapshot> = {}) {
	let snapshot: ContactSnapshot = { id: 'ct_1', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: [], ...contact };
	const collected: Record<string, string> = {};
	const fired: string[] = [];
	const transcript: TranscriptEntry[] = [];
	const turns: DrivenTurn[] = [];
	return {
		turns,
		get contact() {
			return snapshot;
		},
		collected,
		/** A workflow writes contact fields, as Lead Scoring writes the score. */
		write(customFields: Record<string, string | number>) {
			snapshot = { ...snapshot, customFields: { ...snapshot.customFields, ...customFields } };
		},
		async say(message: string): Promise<TurnOutcome> {
			const knownBefore = { ...collected };
			const outcome = await engine.runTurn({
				agent,
				contact: snapshot,
				conversation: { id: 'conv_1', channel: 'web', collected: { ...collected }, firedActions: [...fired], turn: turns.length + 1 },
				transcript: [...transcript],
				message,
			});
			Object.assign(collected, outcome.collected);
			snapshot = applyUpdates(snapshot, outcome.contactUpdates);
			for (const tag of outcome.tags ?? []) if (!snapshot.tags.includes(tag)) snapshot = { ...snapshot, tags: [...snapshot.tags, tag] };
			for (const a of outcome.actions) if (a.fired && !fired.includes(a.actionId)) fired.push(a.actionId);
			const at = new Date(Date.UTC(2026, 10, 24, 12, turns.length)).toISOString();
			transcript.push({ role: 'contact', text: message, at }, { role: 'agent', text: outcome.reply, at });
			turns.push({ message, outcome, knownBefore });
			return outcome;
		},
	};
}
