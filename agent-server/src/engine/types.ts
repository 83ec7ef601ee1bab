// The contract between the conversation engines (pure: no storage, no HTTP) and the server that persists what they decide.

export type CustomFieldValue = string | number | boolean | null;

export interface ContactSnapshot {
	id: string;
	firstName: string | null;
	lastName: string | null;
	email: string | null;
	phone: string | null;
	customFields: Record<string, CustomFieldValue>;
	tags: string[];
}

export type Role = 'contact' | 'agent' | 'human';

export interface TranscriptEntry {
	role: Role;
	text: string;
	at: string; // ISO timestamp
}

export type Sentiment = 'positive' | 'neutral' | 'negative';

export interface TurnInput {
	agent: import('./agent-config').AgentConfig;
	contact: ContactSnapshot; // as stored now, including fields workflows wrote
	conversation: {
		id: string;
		channel: string;
		collected: Record<string, string>; // agent field name -> value, collected in earlier turns
		firedActions: string[]; // action ids already fired in this conversation
		turn: number; // 1 for the contact's first message
	};
	transcript: TranscriptEntry[]; // earlier messages, oldest first (the new message is not in it)
	message: string; // the contact's new message
}

export interface ActionDecision {
	actionId: string;
	name: string;
	fired: boolean;
	reason: string; // why it fired (the matched condition) or why not (the unmet condition)
	/** When fired: the values of the condition's fields that satisfied it, from this conversation or the stored contact. */
	fields?: Record<string, string>;
}

export interface TurnOutcome {
	/** The reply as it is said: merge fields filled once, by the engine. */
	reply: string;
	/** The templates the reply was filled from, for the disclosure guard (the reply itself when there were none). */
	replyTemplate?: string;
	collected: Record<string, string>; // values extracted in this turn only (agent field names)
	contactUpdates: {
		standard: Partial<Record<'firstName' | 'lastName' | 'email' | 'phone', string>>;
		custom: Record<string, CustomFieldValue>;
	};
	intent: string | null;
	sentiment: Sentiment;
	summary: string;
	actions: ActionDecision[]; // one per configured action, fired or not
	modelCalls: number; // turns that used the model: 1, or 0 when it was not asked
	/** Provider requests this turn made (retries included); what the provider bills and rate-limits. */
	modelRequests?: number;
	/** Where the reply comes from: the model, a rule (handoff, reply rule, acknowledgement, question...), or the fallback. */
	replySource?: import('./offline').ReplySource;
	/** Values the model proposed that the contact's words do not support: never stored, never fire an action. */
	rejected?: import('./grounding').RejectedValue[];
	tags?: string[]; // tags the agent's tag rules apply for this message (optional: added after the first draft)
	fallback?: string; // set when the model failed and the configured fallback reply was used: why
	fallbackDetail?: string; // the provider's own words about it (its error message, a refusal), secret-free
	intentConfidence?: number; // 0..1; the offline engine's keyword intents count as 1
	handoff?: string; // why this message hands the conversation to a human (the reply is then the handoff message)
	end?: { reason: EndReason; detail: string }; // this turn ends the conversation
}

/** Why a conversation ended. `handoff`: it ended while a human was handling it. */
export type EndReason = 'inactivity' | 'max_turns' | 'closing_intent' | 'closed' | 'handoff';

export interface ScoreInput {
	contact: ContactSnapshot;
	collected: Record<string, string>;
	transcript: TranscriptEntry[];
	rubric?: string;
}

export interface ScoreResult {
	score: number; // integer 1..10
	rationale: string;
	confidence: number; // 0..1
}

export interface ComposeInput {
	agent: import('./agent-config').AgentConfig;
	contact: ContactSnapshot | null;
	/** What a workflow wants said, e.g. "ask whether they are still interested; mention the booking link". */
	instructions: string;
	transcript: TranscriptEntry[];
}

export interface ComposeResult {
	/** The message template (merge fields are filled in afterwards). */
	text: string;
	modelCalls: number;
	/** Why the model could not write it (no key in it); the caller does not send anything then. */
	failure?: string;
}

export interface Engine {
	kind: 'offline' | 'model';
	runTurn(input: TurnInput): Promise<TurnOutcome>;
	scoreLead(input: ScoreInput): Promise<ScoreResult>;
	/** Turns a workflow's instructions into a message in the agent's persona. */
	composeMessage(input: ComposeInput): Promise<ComposeResult>;
	/** The model engine tells listeners about every provider request and fallback (logs, metrics); returns unsubscribe. */
	observe?(listener: import('./model-client').ModelListener): () => void;
}
