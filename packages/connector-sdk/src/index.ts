export * from './profile-fact.js';
