import { Module } from '@nestjs/common';
import { SegmentEditorService } from './segment-editor.service.js';

/** Segment editing for the management API and the CLI (on top of the segments module the core exports). */
@Module({ providers: [SegmentEditorService], exports: [SegmentEditorService] })
export class SegmentEditorModule {}
