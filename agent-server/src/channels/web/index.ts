// The web channel: widget keys (workspace API), the public widget routes, and the static widget and inspector.
export { assetRoutes, PUBLIC_DIR } from './assets';
export { widgetKeyRoutes } from './keys';
export { widgetRoutes, WIDGET_BODY_LIMIT, type WebChannelOptions } from './routes';
