import { CsvParser, parseCsv } from './csv-parser.js';

describe('CsvParser (RFC 4180)', () => {
  it('splits fields and records on CRLF, LF and CR, skipping blank lines', () => {
    expect(parseCsv('a,b,c\r\n1,2,3\n\n4,5,6\r7,,9\n')).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', '2', '3'], line: 2 },
      { fields: ['4', '5', '6'], line: 4 },
      { fields: ['7', '', '9'], line: 5 },
    ]);
  });

  it('keeps delimiters, doubled quotes and line breaks inside quoted fields, and reports the starting line', () => {
    const records = parseCsv('id,store,note\n1,"Main St, Springfield","He said ""hi""\nthen left"\n2,Shop,"multi\r\nline\r\ntext"\n3,x,y');
    expect(records).toEqual([
      { fields: ['id', 'store', 'note'], line: 1 },
      { fields: ['1', 'Main St, Springfield', 'He said "hi"\nthen left'], line: 2 },
      { fields: ['2', 'Shop', 'multi\r\nline\r\ntext'], line: 4 },
      { fields: ['3', 'x', 'y'], line: 7 },
    ]);
  });

  it('handles a record split across chunks at any point, including between CR and LF', () => {
    const text = '\uFEFFname,city\r\n"Ana ""A"" Lima","São Paulo, SP"\r\nBruno,Rio\r\n';
    const expected = parseCsv(text);
    expect(expected[0]).toEqual({ fields: ['name', 'city'], line: 1 });
    for (let size = 1; size <= 7; size++) {
      const parser = new CsvParser();
      const records = [];
      for (let i = 0; i < text.length; i += size) records.push(...parser.push(text.slice(i, i + size)));
      records.push(...parser.end());
      expect(records).toEqual(expected);
    }
  });

  it('flags text after a closing quote and an unterminated quote, and goes on with the next record', () => {
    expect(parseCsv('a,"b"x,c\n1,2,3\n4,"never closed\n5,6')).toEqual([
      { fields: ['a', 'bx', 'c'], line: 1, error: 'unexpected character after a closing quote in field 2' },
      { fields: ['1', '2', '3'], line: 2 },
      { fields: ['4', 'never closed\n5,6'], line: 3, error: 'a quoted field opened on line 3 is never closed' },
    ]);
  });

  it('accepts another delimiter and keeps a quote inside an unquoted field', () => {
    expect(parseCsv('a;b\n5" screen;"x;y"', ';')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['5" screen', 'x;y'], line: 2 },
    ]);
    expect(() => new CsvParser('"')).toThrow(RangeError);
  });
});
