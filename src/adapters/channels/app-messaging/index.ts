export { AppMessagingAdapter } from './app-messaging.adapter.js';
export { AppStreams, type AppStream, type AppMessageSource } from './app-streams.js';
