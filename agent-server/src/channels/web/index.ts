// The web channel: widget keys (workspace API), the public widget routes, and the static widget and inspector.
export { assetRoutes } from './assets';
export { widgetKeyRoutes } from './keys';
export { widgetRoutes, type WebChannelOptions } from './routes';
