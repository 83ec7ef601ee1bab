// One-time preparation of an agent's readers, kept out of every message's extraction budget.
import type { AgentConfig, AgentField } from './agent-config';
import type { Language } from './language';
import { readField } from './understand';

// The readers' patterns compile on first use, and the regex engine compiles each pattern anew for text with only
// Latin-1 characters and for text with others ("€", "—"), first to bytecode and then, on the next run, to machine
// code. A cold process paid that (hundreds of milliseconds) inside its first message's budget and lost the fields
// read after it. Each sample is read twice, once per kind of text, in every language a contact may write.
const SAMPLES: Record<Language, string[]> = {
	en: ["Hi, I'm Dana Smith, dana@example.com, +1 415 555 0172. We need a website, not an app, budget $10,000 to 12k, start next month", 'budget 8000 euros — by March 3rd'],
	es: ['Hola, soy Pilar, necesitamos una tienda online, presupuesto 8.000 €, para el mes que viene', 'quiero empezar en primavera o para abril, el 3 de mayo, unos 5 mil dólares'],
	de: ['Hallo, ich bin Jonas, wir brauchen eine Webseite, Budget 8.000 €, Start nächsten Monat', 'keine App — bis Ende März oder ab 3. Mai, etwa zehntausend Euro'],
};
const RUNS_PER_SAMPLE = 2;

const preparedAgents = new WeakSet<AgentConfig>();
const preparedFields = new Set<string>();
const PREPARED_FIELDS_KEPT = 10_000;

/** Words the field's keywords bring, so the sample reaches the code that weighs a found keyword. */
function samplesFor(field: AgentField): string[] {
	const all = Object.values(SAMPLES).flat();
	if (field.extract.kind !== 'keywords') return all;
	const keywords = field.extract.keywords.map((entry) => entry.match[0]).filter(Boolean);
	return [...all, `we need a ${keywords.join(', not ')}`, `we need a ${keywords.join(', not ')} —`];
}

function prepareField(agent: AgentConfig, field: AgentField): void {
	const key = JSON.stringify([agent.language, agent.region, field.extract]);
	if (preparedFields.has(key)) return;
	for (const text of samplesFor(field)) {
		for (let run = 0; run < RUNS_PER_SAMPLE; run++) {
			for (const loose of [false, true]) readField(text, field.extract, { loose, language: agent.language, region: agent.region });
		}
	}
	if (preparedFields.size >= PREPARED_FIELDS_KEPT) preparedFields.clear();
	preparedFields.add(key);
}

/**
 * Compiles what reading this agent's fields needs, once per process and field; later calls cost a lookup. Called
 * before a message's budget starts, so a fresh process's first message is read as fully as any other.
 */
export function prepareAgentReaders(agent: AgentConfig): void {
	if (preparedAgents.has(agent)) return;
	for (const field of agent.fields) prepareField(agent, field);
	preparedAgents.add(agent);
}
