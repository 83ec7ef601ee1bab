// The retry policy of messages to the contact: which refusals pass, the wait, and the bound.
import { CHANNEL_RETRIES_PER_MESSAGE, CHANNEL_RETRY_BACKOFF_SECONDS, CHANNEL_RETRY_MAX_WAIT_SECONDS } from '../limits';
import { refusalOutcome } from './channel-refusals';

test("each channel's rate limit answer is retried after the time it names, or the backoff step", () => {
	expect(refusalOutcome({ reason: 'Too Many Requests: retry after 12' }, 0)).toEqual({ retry: true, waitSeconds: 12 });
	expect(refusalOutcome({ reason: 'ratelimited', retryAfterSeconds: 30 }, 0)).toEqual({ retry: true, waitSeconds: 30 });
	expect(refusalOutcome({ reason: '(#130429) Rate limit hit' }, 0)).toEqual({ retry: true, waitSeconds: CHANNEL_RETRY_BACKOFF_SECONDS[0] });
	expect(refusalOutcome({ reason: 'Too Many Requests' }, 2)).toEqual({ retry: true, waitSeconds: CHANNEL_RETRY_BACKOFF_SECONDS[2] });
	expect(refusalOutcome({ reason: 'Too Many Requests: retry after 0' }, 0)).toEqual({ retry: true, waitSeconds: 1 });
});

test('server errors and timeouts are retried; blocked, unknown chats and bad texts are final', () => {
	for (const reason of ['Internal Server Error', 'Bad Gateway', 'Service unavailable - try again later', 'The connection timed out', 'ETIMEDOUT', 'socket hang up']) {
		expect({ reason, outcome: refusalOutcome({ reason }, 0).retry }).toEqual({ reason, outcome: true });
	}
	for (const reason of ['Forbidden: bot was blocked by the user', 'Bad Request: chat not found', 'Bad Request: message is too long', "Bad Request: can't parse entities"]) {
		expect(refusalOutcome({ reason }, 0)).toEqual({ retry: false });
	}
});

test('the bound: a refusal after the last retry, or asking for more than the longest wait, is final and says why', () => {
	expect(refusalOutcome({ reason: 'Too Many Requests: retry after 1' }, CHANNEL_RETRIES_PER_MESSAGE - 1).retry).toBe(true);
	expect(refusalOutcome({ reason: 'Too Many Requests: retry after 1' }, CHANNEL_RETRIES_PER_MESSAGE)).toEqual({ retry: false, why: `still refused after ${CHANNEL_RETRIES_PER_MESSAGE} retries (the limit)` });
	expect(refusalOutcome({ reason: `Too Many Requests: retry after ${CHANNEL_RETRY_MAX_WAIT_SECONDS + 1}` }, 0)).toMatchObject({ retry: false, why: expect.stringMatching(/longer than the 3600 s limit/) });
});
