// Relay settings from the environment, for operators and for tests that run the server as its own process.
import type { FaultPausePoint, RelayOptions } from './relay';

function positiveInt(name: string, value: string | undefined): number | undefined {
	if (value === undefined || value === '') return undefined;
	const n = Number(value);
	if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number of milliseconds`);
	return n;
}

function probeFromEnv(env: NodeJS.ProcessEnv): RelayOptions['probe'] {
	const probe = {
		baseMs: positiveInt('RELAY_PROBE_BASE_MS', env.RELAY_PROBE_BASE_MS),
		maxMs: positiveInt('RELAY_PROBE_MAX_MS', env.RELAY_PROBE_MAX_MS),
		forMs: positiveInt('RELAY_PROBE_FOR_MS', env.RELAY_PROBE_FOR_MS),
	};
	const given = Object.fromEntries(Object.entries(probe).filter(([, v]) => v !== undefined));
	return Object.keys(given).length > 0 ? given : undefined;
}

export function relayOptionsFromEnv(env: NodeJS.ProcessEnv): RelayOptions {
	const schedule = env.RELAY_RETRY_SCHEDULE_MS?.trim();
	const pause = env.AGENT_BRIDGE_FAULT_PAUSE;
	if (pause && pause !== 'before-send' && pause !== 'after-send') throw new Error('AGENT_BRIDGE_FAULT_PAUSE must be before-send or after-send');
	const options: RelayOptions = {
		retryScheduleMs: schedule ? schedule.split(',').map((s) => positiveInt('RELAY_RETRY_SCHEDULE_MS', s.trim()) ?? 0) : undefined,
		attemptTimeoutMs: positiveInt('RELAY_ATTEMPT_TIMEOUT_MS', env.RELAY_ATTEMPT_TIMEOUT_MS),
		pollIntervalMs: positiveInt('RELAY_POLL_INTERVAL_MS', env.RELAY_POLL_INTERVAL_MS),
		faultPause: (pause || undefined) as FaultPausePoint | undefined,
		probe: probeFromEnv(env),
	};
	return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as RelayOptions;
}
