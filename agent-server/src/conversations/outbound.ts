// The one place every text the contact gets as the agent passes: the engine's reply, the answer after a wait, a late
// result, a holding reply, a workflow's reply or instructions, a conversation a workflow starts, a handoff notice.
// Merge fields are filled once, then the disclosure guard decides. (A human's reply is the human's own.)
import type { AgentConfig } from '../engine/agent-config';
import { guardDisclosure, type BlockedDisclosure } from '../engine/conduct';
import { render } from '../engine/templates';
import type { ContactSnapshot } from '../engine/types';

export interface Outbound {
	/** What the contact gets: the text, or the agent's blocked message when it would reveal a withheld field. */
	text: string;
	/** Merge fields that had no value (removed from the text), for the timeline. */
	unknown: string[];
	/** The withheld fields the text would have revealed; non-empty means a human takes over. */
	blocked: BlockedDisclosure[];
}

/** A template filled from the stored contact (workflow text, holding reply, handoff notice), then guarded. */
export function agentText(
	agent: AgentConfig | undefined,
	contact: ContactSnapshot | null,
	template: string,
	options: { collected?: Record<string, string>; agentId?: string } = {},
): Outbound {
	const rendered = render(template, {
		contact,
		agent: agent ? { id: agent.id, name: agent.name } : { id: options.agentId },
		variables: agent?.variables ?? {},
		collected: options.collected ?? {},
	});
	return { ...guarded(agent, contact, template, rendered.text), unknown: rendered.unknown };
}

/** A reply the engine already filled (never filled again), guarded against the templates it came from. */
export function engineReply(agent: AgentConfig, contact: ContactSnapshot, reply: string, template: string | undefined): Outbound {
	return { ...guarded(agent, contact, template ?? reply, reply), unknown: [] };
}

function guarded(agent: AgentConfig | undefined, contact: ContactSnapshot | null, template: string, text: string) {
	if (!agent || !contact) return { text, blocked: [] as BlockedDisclosure[] };
	return guardDisclosure(agent, contact, template, text);
}
