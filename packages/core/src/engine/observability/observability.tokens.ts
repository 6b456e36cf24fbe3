export const PORTRAIT_APP_NAME = Symbol('PORTRAIT_APP_NAME');
