// Every limit on what a tenant or a visitor can grow, in one place; docs/limits.md lists the same table.

/** Longest id accepted anywhere (path, query, body, agent files), at creation as at lookup. */
export const ID_MAX_LENGTH = 100;
/** Request body on /v1 (JSON). */
export const BODY_LIMIT_BYTES = 256 * 1024;
/** Request body on the public widget routes. */
export const WIDGET_BODY_LIMIT_BYTES = 8 * 1024;
/** A contact's message through the API, and a workflow's reply text. */
export const MESSAGE_MAX_CHARS = 4000;
/** A visitor's message through the widget. */
export const WIDGET_MESSAGE_MAX_CHARS = 2000;
/** Custom fields one contact may hold. */
export const CUSTOM_FIELDS_PER_CONTACT = 100;
/** Bytes (UTF-8) of one custom field value. */
export const CUSTOM_FIELD_VALUE_MAX_BYTES = 10_000;
/** Tags one contact may hold. */
export const TAGS_PER_CONTACT = 100;
/** Channel identities (channel + address) one contact may hold. */
export const IDENTITIES_PER_CONTACT = 20;
/** A channel's reason for a failed delivery of a message to the contact. */
export const DELIVERY_REASON_MAX_CHARS = 500;
/** Times a message the channel refused for now (rate limit, 5xx, timeout) is sent again before it is reported failed. */
export const CHANNEL_RETRIES_PER_MESSAGE = 5;
/** The longest wait a channel may ask for before a retry; a refusal asking for longer is final. */
export const CHANNEL_RETRY_MAX_WAIT_SECONDS = 3600;
/** The waits before each retry when the channel named no time (a 5xx, a timeout, a limit without retry time). */
export const CHANNEL_RETRY_BACKOFF_SECONDS = [5, 30, 120, 600, 1800] as const;
/** Webhook subscriptions per workspace. */
export const SUBSCRIPTIONS_PER_WORKSPACE = 50;
/** Agents stored through the API per workspace (file agents are the operator's). */
export const AGENTS_PER_WORKSPACE = 100;
/** Widget sessions one publishable key may open per hour. */
export const WIDGET_SESSIONS_PER_KEY_PER_HOUR = 1000;
/** Webhook deliveries in flight at once per instance, over all destinations. */
export const RELAY_MAX_IN_FLIGHT = 16;
/** Webhook deliveries in flight at once per instance to one destination URL. */
export const RELAY_MAX_IN_FLIGHT_PER_URL = 4;
/** Latest messages of the conversation an engine reads for a turn (the model's prompt takes fewer still). */
export const TURN_TRANSCRIPT_MESSAGES = 200;
/** Latest messages an event's transcript carries; the rest is read with GET /v1/conversations/:id. */
export const EVENT_TRANSCRIPT_MESSAGES = 50;
/** API keys per workspace. */
export const API_KEYS_PER_WORKSPACE = 20;
/**
 * CPU time the deterministic extraction of one message may take before the remaining fields are skipped. Ordinary
 * messages take 1 to 7 ms; the budget leaves room for a loaded 2-core machine, where CPU time per step grows. With the longest single step (one pattern at its bounds, about 20 ms) a message holds the event loop about
 * 70 ms at most.
 */
export const EXTRACTION_BUDGET_MS = 50;
/** An agent's pattern (source characters). */
export const PATTERN_MAX_CHARS = 500;
/** Largest counted repetition in a pattern (`{0,100}`). */
export const PATTERN_REPEAT_MAX = 100;
/** Compiled size of one pattern (RE2 program instructions): a match costs about this times the text's length. */
export const PATTERN_PROGRAM_MAX = 400;
/** Characters of a message a pattern runs over (the first ones). */
export const PATTERN_TEXT_MAX_CHARS = 1000;
/** Bytes the compiled patterns of accepted agents may hold in memory (least recently used go first). */
export const PATTERN_CACHE_BYTES = 16 * 1024 * 1024;
/** Fields one agent collects. */
export const FIELDS_PER_AGENT = 50;
/** Keywords (or phrases) in one list of an agent: a field's keyword list, an intent's, a tag rule's. */
export const KEYWORDS_PER_LIST = 200;
/** One keyword or phrase of an agent. */
export const KEYWORD_MAX_CHARS = 100;
/** An agent's name. */
export const AGENT_NAME_MAX_CHARS = 100;
/** An agent's description. */
export const AGENT_DESCRIPTION_MAX_CHARS = 1000;
/** Channels in an agent's channels list, and the length of each name. */
export const AGENT_CHANNELS_MAX = 20;
export const CHANNEL_NAME_MAX_CHARS = 40;
/** Failed authentications per client address per minute before 429. */
export const AUTH_FAILURES_PER_MINUTE = 20;
/** A widget key's avatar image (decoded bytes). */
export const WIDGET_AVATAR_MAX_BYTES = 64 * 1024;
/** A widget's title. */
export const WIDGET_TITLE_MAX_CHARS = 60;
/** A widget's opening message. */
export const WIDGET_OPENING_MESSAGE_MAX_CHARS = 500;
/** Days a widget session lasts after the visitor's last message; the browser keeps its token as long. */
export const WIDGET_SESSION_LIFETIME_DAYS = 30;
/** Days one numbers request (`GET /v1/stats`) may span. */
export const STATS_MAX_DAYS = 92;
/** Live (server-sent event) streams open at once per workspace on one server instance: console pages and widgets. */
export const LIVE_CONNECTIONS_PER_WORKSPACE = 2000;
/** Bytes waiting for one slow live client before its stream is closed (it reconnects and catches up). */
export const LIVE_QUEUE_BYTES_PER_CONNECTION = 256 * 1024;
/** Notices waiting to be handled for one live stream before it is closed. */
export const LIVE_QUEUE_NOTICES_PER_CONNECTION = 100;
/** An internal note on a conversation (console inbox). */
export const NOTE_MAX_CHARS = 4000;
/** Contacts one search returns at most (default 20). */
export const CONTACT_SEARCH_MAX_RESULTS = 50;
/** Conversations the inbox lists at most (those waiting for a person first). */
export const INBOX_MAX_CONVERSATIONS = 100;
/** Console sessions (logins) open at once per workspace; the oldest is logged out past it. */
export const CONSOLE_SESSIONS_PER_WORKSPACE = 200;
/** How long a console login lasts. */
export const CONSOLE_SESSION_HOURS = 12;
