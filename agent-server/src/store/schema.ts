// Row types of the database. Timestamps are ISO-8601 text, JSON columns are text, ids are prefixed text.
import type { Generated, Kysely, Transaction } from 'kysely';

export interface WorkspaceRow {
	id: string;
	workspace_id: string;
	name: string;
	created_at: string;
	/** Added by 009_workspace_log: days transcripts are kept; null keeps them. */
	transcript_retention_days?: number | null;
}

/** The workspace's own timeline: erasures and retention runs, which must not sit on a contact's timeline. */
export interface WorkspaceLogRow {
	id: string;
	workspace_id: string;
	at: string;
	kind: string;
	detail: string;
}

export interface ApiKeyRow {
	id: string;
	workspace_id: string;
	key_hash: string;
	prefix: string;
	name: string;
	created_at: string;
	/** Comma-separated: nodes, inspector, admin. */
	scopes: Generated<string>;
	revoked_at: string | null;
}

export interface ContactRow {
	id: string;
	workspace_id: string;
	first_name: string | null;
	last_name: string | null;
	email: string | null;
	phone: string | null;
	custom_fields: string;
	tags: string;
	/** JSON: field ref (`custom_field.x`, `contact.email`) -> when it was last written; set by the database default. */
	field_writes?: string;
	created_at: string;
	updated_at: string;
}

export interface ConversationRow {
	id: string;
	workspace_id: string;
	agent_id: string;
	contact_id: string;
	channel: string;
	status: string;
	collected: string;
	fired_actions: string;
	turn_count: number;
	intent: string | null;
	sentiment: string | null;
	summary: string | null;
	created_at: string;
	updated_at: string;
	/** Added by 002_conversations. */
	model_calls?: number;
	ending?: string | null;
	waits?: string;
	human_at?: string | null;
	/** Added by 006_turns: who runs the conversation's turn now, and until when (a lease, so a crash frees it). */
	turn_owner?: string | null;
	/** Provider requests (retries included), next to model_calls (turns and composed messages). */
	model_requests?: number;
	turn_until?: string | null;
	/** Added by 012_console: the person who claimed the conversation in the inbox, and when. */
	assignee?: string | null;
	assigned_at?: string | null;
}

export interface MessageRow {
	id: string;
	workspace_id: string;
	conversation_id: string;
	role: 'contact' | 'agent' | 'human';
	source: 'engine' | 'workflow' | 'api';
	text: string;
	created_at: string;
	/** Added by 006_turns: 1 while a contact message waits for its turn. */
	pending?: number;
	/** The chat request's Idempotency-Key, so a retry finds its message instead of storing it again. */
	idempotency_key?: string | null;
	/** The event that caused the message (a workflow speaking as the contact), for the loop guard of its turn. */
	causation_event_id?: string | null;
	/** JSON: the answer of the message's turn, set in the transaction that commits the turn. */
	answer?: string | null;
	/** Added by 011_message_delivery: what the channel reported for a message to the contact. */
	delivery_status?: 'delivered' | 'failed' | 'retrying' | null;
	delivery_reason?: string | null;
	delivery_at?: string | null;
	/** Added by 019_message_delivery_retries: sends again after a refusal that will pass, and when the next is due. */
	delivery_retries?: number;
	delivery_retry_at?: string | null;
}

export interface TimelineRow {
	id: string;
	workspace_id: string;
	conversation_id: string;
	at: string;
	kind: string;
	detail: string;
}

export interface SubscriptionRow {
	id: string;
	workspace_id: string;
	url: string;
	events: string;
	filters: string;
	secret: string;
	created_at: string;
	deleted_at: string | null;
	/** Delivery health, kept by the relay: failed attempts in a row and since when. */
	consecutive_failures: number;
	failing_since: string | null;
	/** Set once the streak has lasted long enough to report the destination as failing. */
	marked_failing_at: string | null;
	last_success_at: string | null;
	last_failure_at: string | null;
	last_failure: string | null;
	/** While the destination is down: when the relay next checks whether it answers again (null: no probe due). */
	probe_at: string | null;
	/** Probes made since the last delivery that succeeded; the probe backoff grows with it. */
	probe_failures: number;
	/** When the destination was last probed. */
	probed_at: string | null;
}

export interface EventRow {
	id: string;
	workspace_id: string;
	type: string;
	conversation_id: string | null;
	contact_id: string | null;
	envelope: string;
	created_at: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * Why a pending delivery is due when it is: its first attempt, its retry schedule, the receiver's Retry-After, a
 * replay, or a release brought it forward (retry-now, a sign that its destination is back).
 */
export const NEXT_ATTEMPT_REASONS = [
	'new',
	'schedule',
	'retry-after',
	'replay',
	'retry-now',
	'subscription-checked',
	'destination-delivered',
	'probe',
] as const;
export type NextAttemptReason = (typeof NEXT_ATTEMPT_REASONS)[number];

export interface DeliveryRow {
	id: string;
	workspace_id: string;
	event_id: string;
	subscription_id: string;
	status: DeliveryStatus;
	attempts: number;
	next_attempt_at: string;
	last_error: string | null;
	last_status_code: number | null;
	locked_until: string | null;
	lease_token: string | null;
	created_at: string;
	updated_at: string;
	/** Scheduled attempts made: an attempt brought forward by a release does not advance the retry schedule. */
	schedule_step: number;
	next_attempt_reason: NextAttemptReason;
	/** Set once, by the trigger that received it: the workflow it starts runs for this delivery and no other copy. */
	claimed_at?: string | null;
	claim_workflow_id?: string | null;
	claim_workflow_name?: string | null;
	/** What is known of the n8n execution for this delivery (see `ExecutionState`); null before a claim. */
	execution_state?: ExecutionState | null;
	execution_checked_at?: string | null;
}

/**
 * A claimed delivery's execution: `claimed` (n8n took it, nothing heard since), `running`, `succeeded`, `failed`
 * (the execution ended in an error or crashed), `lost` (n8n's own record has no execution for it past the window).
 */
export const EXECUTION_STATES = ['claimed', 'running', 'succeeded', 'failed', 'lost'] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];

/** One n8n execution that ran for an event: reported by the action nodes' calls, or read from n8n's public API. */
export interface ExecutionRow {
	workspace_id: string;
	workflow_id: string;
	execution_id: string;
	workflow_name: string | null;
	event_id: string | null;
	delivery_id: string | null;
	conversation_id: string | null;
	/** n8n's own status words: new, running, success, error, crashed, canceled, waiting. */
	status: string;
	mode: string | null;
	started_at: string | null;
	stopped_at: string | null;
	error: string | null;
	editor_url: string | null;
	updated_at: string;
}

/** A workspace's n8n, for reading execution status from its public API (the key is never shown again). */
export interface N8nConnectionRow {
	workspace_id: string;
	url: string;
	api_key: string;
	last_checked_at: string | null;
	last_error: string | null;
	updated_at: string;
}

/** A stored reply for an Idempotency-Key; status_code null while the first request is still running. */
export interface IdempotencyKeyRow {
	workspace_id: string;
	key: string;
	route: string;
	request_hash: string;
	status_code: number | null;
	response_body: string | null;
	locked_until: string;
	created_at: string;
}

/** A publishable widget key: public by design (it sits in the page), limited to the widget routes and its origins. */
export interface WidgetKeyRow {
	id: string;
	workspace_id: string;
	public_key: string;
	name: string;
	/** JSON array of origins such as "https://example.com". */
	allowed_origins: string;
	created_at: string;
	deleted_at: string | null;
}

/** One browser's conversation with one agent; the browser holds the token, only its hash is stored. */
export interface WidgetSessionRow {
	id: string;
	workspace_id: string;
	widget_key_id: string;
	agent_id: string;
	contact_id: string;
	conversation_id: string;
	token_hash: string;
	created_at: string;
	last_seen_at: string;
}

/** A widget key's appearance (added by 013_widget_appearance); the avatar is a small image kept as base64. */
export interface WidgetAppearanceRow {
	widget_key_id: string;
	workspace_id: string;
	/** JSON: title, colours, opening message, launcher position, timestamps. */
	settings: string;
	avatar_type: string | null;
	avatar_data: string | null;
	/** SHA-256 of the avatar bytes (hex), the version in the avatar's URL. */
	avatar_hash: string | null;
	updated_at: string;
}

/** An agent a workspace created over the API; `config` is the JSON as submitted, validated again when loaded. */
export interface WorkspaceAgentRow {
	workspace_id: string;
	id: string;
	config: string;
	/** The shortest of ending.inactivityMinutes and handoff.quietMinutes, for the sweeper's cutoff. */
	idle_minutes: number | null;
	created_at: string;
	updated_at: string;
}

/** A contact's address on one channel (added by 010_contact_identities); unique per workspace. */
export interface ContactIdentityRow {
	id: string;
	workspace_id: string;
	contact_id: string;
	channel: string;
	address: string;
	created_at: string;
}

/** A console login made from an API key (added by 012_console); the browser holds the token in a cookie. */
export interface ConsoleSessionRow {
	id: string;
	workspace_id: string;
	api_key_id: string;
	token_hash: string;
	/** The name the person gave at login: the inbox's assignee and a human reply's author. */
	user_name: string;
	created_at: string;
	expires_at: string;
}

export interface Database {
	console_sessions: ConsoleSessionRow;
	workspaces: WorkspaceRow;
	api_keys: ApiKeyRow;
	contacts: ContactRow;
	contact_identities: ContactIdentityRow;
	conversations: ConversationRow;
	messages: MessageRow;
	timeline: TimelineRow;
	subscriptions: SubscriptionRow;
	events: EventRow;
	deliveries: DeliveryRow;
	executions: ExecutionRow;
	n8n_connections: N8nConnectionRow;
	idempotency_keys: IdempotencyKeyRow;
	widget_keys: WidgetKeyRow;
	widget_sessions: WidgetSessionRow;
	widget_appearances: WidgetAppearanceRow;
	workspace_agents: WorkspaceAgentRow;
	workspace_log: WorkspaceLogRow;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: store functions work inside or outside one. */
export type Queryable = Kysely<Database>;
