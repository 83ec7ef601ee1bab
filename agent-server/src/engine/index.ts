// Engine entry point: the model engine when a model is configured, else the offline rules engine.
import { createModelEngine, type ModelEngineOptions } from './model';
import { createOfflineEngine } from './offline';
import type { Engine } from './types';

export interface EngineOptions {
	model?: ModelEngineOptions | null;
}

export function createEngine(options: EngineOptions = {}): Engine {
	return options.model ? createModelEngine(options.model) : createOfflineEngine();
}

export * from './types';
export * from './agent-config';
export * from './templates';
export * from './extract';
export * from './fields';
export * from './actions';
export * from './offline';
export * from './model';
export * from './conduct';
export * from './grounding';
export * from './providers';
export * from './model-settings';
export type { ModelEvent, ModelListener, ModelRequestEvent, ModelFallbackEvent, FailureKind } from './model-client';
