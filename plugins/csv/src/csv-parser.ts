/**
 * A streaming RFC 4180 parser: fields separated by a delimiter, records by CRLF, LF or CR; a field in
 * double quotes may hold delimiters, line breaks and doubled quotes (`""`). Each record carries the
 * physical line it starts on, so a bad row is reported as `visits.csv line 42` even when an earlier
 * field spanned several lines. Lenient where exports usually are: a UTF-8 BOM is dropped, blank lines
 * are skipped, a quote inside an unquoted field is kept as is. Text after a closing quote and a quote
 * left open at the end of the file mark the record with a syntax error instead of guessing.
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line the record starts on. */
  line: number;
  /** Set when the record is malformed; its fields are then best effort. */
  error?: string;
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

export class CsvParser {
  private readonly delimiter: string;
  private state = State.FieldStart;
  private field = '';
  private fields: string[] = [];
  private recordLine = 1;
  private line = 1;
  private recordStarted = false;
  private skipLineFeed = false;
  private first = true;
  private error: string | undefined;

  constructor(delimiter = ',') {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new RangeError('the delimiter must be one character other than a quote or a line break');
    }
    this.delimiter = delimiter;
  }

  /** Feeds a chunk of text; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let text = chunk;
    if (this.first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.skipLineFeed) {
        this.skipLineFeed = false;
        if (c === '\n') continue;
      }
      if (!this.recordStarted) {
        this.recordStarted = true;
        this.recordLine = this.line;
      }
      switch (this.state) {
        case State.FieldStart:
          if (c === '"') this.state = State.Quoted;
          else if (c === this.delimiter) this.endField();
          else if (c === '\n' || c === '\r') this.endRecord(out, c);
          else {
            this.field += c;
            this.state = State.Unquoted;
          }
          break;
        case State.Unquoted:
          if (c === this.delimiter) this.endField();
          else if (c === '\n' || c === '\r') this.endRecord(out, c);
          else this.field += c;
          break;
        case State.Quoted:
          if (c === '"') this.state = State.QuoteInQuoted;
          else {
            if (c === '\n') this.line++;
            this.field += c;
          }
          break;
        case State.QuoteInQuoted:
          if (c === '"') {
            this.field += '"';
            this.state = State.Quoted;
          } else if (c === this.delimiter) this.endField();
          else if (c === '\n' || c === '\r') this.endRecord(out, c);
          else {
            this.error ??= `unexpected character after a closing quote in field ${this.fields.length + 1}`;
            this.field += c;
            this.state = State.Unquoted;
          }
          break;
      }
    }
    return out;
  }

  /** Ends the input; returns the last record if the text did not end with a line break. */
  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    if (this.state === State.Quoted) this.error ??= `a quoted field opened on line ${this.recordLine} is never closed`;
    if (this.recordStarted) this.endRecord(out, '');
    return out;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
  }

  private endRecord(out: CsvRecord[], terminator: string): void {
    this.fields.push(this.field);
    const blank = this.fields.length === 1 && this.fields[0] === '' && this.error === undefined;
    if (!blank) out.push(this.error ? { fields: this.fields, line: this.recordLine, error: this.error } : { fields: this.fields, line: this.recordLine });
    this.fields = [];
    this.field = '';
    this.error = undefined;
    this.state = State.FieldStart;
    this.recordStarted = false;
    if (terminator === '\n' || terminator === '\r') this.line++;
    if (terminator === '\r') this.skipLineFeed = true;
  }
}

/** Parses a whole text at once. */
export function parseCsv(text: string, delimiter = ','): CsvRecord[] {
  const parser = new CsvParser(delimiter);
  return [...parser.push(text), ...parser.end()];
}
