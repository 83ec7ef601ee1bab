import type { FastifyRequest } from 'fastify';
import { CAUSATION_HEADER } from '../events/publish';
import { HttpError } from '../util/http-error';

/** The event that started the calling workflow, if the call says so. */
export function causationOf(request: FastifyRequest): string | undefined {
	const value = request.headers[CAUSATION_HEADER];
	if (value === undefined || value === '') return undefined;
	if (typeof value !== 'string' || value.length > 200 || !/^[A-Za-z0-9_-]+$/.test(value)) {
		throw new HttpError(400, `headers/${CAUSATION_HEADER}: must be one event id`);
	}
	return value;
}
