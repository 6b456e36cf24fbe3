import { Module } from '@nestjs/common';
import { Profile360Service } from './profile-360.service.js';

/**
 * The profile 360 for the management API and the CLI, on top of the profiles, segments and personas
 * modules the core exports (a module of its own: those modules depend on profiles, not the other way).
 */
@Module({ providers: [Profile360Service], exports: [Profile360Service] })
export class Profile360Module {}
