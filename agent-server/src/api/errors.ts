// Every error leaves in Fastify's shape {statusCode, error, message}; 5xx details stay in the logs.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import type { SchemaErrorDataVar } from 'fastify/types/schema';
import { HttpError } from '../util/http-error';

/** "body/text: is required" rather than zod's "Invalid input: expected string, received undefined". */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
	const lines = errors.map((e) => {
		const where = `${dataVar}${e.instancePath && e.instancePath !== '/' ? e.instancePath : ''}`;
		const message = /received undefined$/.test(e.message ?? '') ? 'is required' : (e.message ?? 'is invalid');
		return `${where}: ${message}`;
	});
	return new Error(lines.join('; '));
}

export function installErrorHandlers(app: FastifyInstance): void {
	app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
		if (err instanceof HttpError) {
			return reply.status(err.statusCode).send({ statusCode: err.statusCode, error: STATUS_CODES[err.statusCode], message: err.message });
		}
		const statusCode = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
		if (statusCode < 500) {
			return reply.status(statusCode).send({ statusCode, code: err.code, error: STATUS_CODES[statusCode], message: err.message });
		}
		request.log.error({ err }, 'request failed');
		return reply.status(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' });
	});
	app.setNotFoundHandler((request, reply) => {
		reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `Route ${request.method} ${request.url.split('?')[0]} not found` });
	});
}
