import { describe, expect, it } from 'vitest';
import { isPlainObject } from '../../../src/util/plainObject.js';

describe('isPlainObject', () => {
  it.each([
    ['{}', {}],
    ['an object literal', { a: 1 }],
    ['JSON.parse of an object', JSON.parse('{"__proto__": {"x": 1}, "constructor": 2}')],
    ['a null-prototype object', Object.create(null) as object],
  ])('accepts %s', (_name, value) => {
    expect(isPlainObject(value)).toBe(true);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an array', []],
    ['JSON.parse of an array', JSON.parse('[1, 2]')],
    ['a string', '{}'],
    ['a number', 0],
    ['a boolean', true],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Buffer', Buffer.from('x')],
    ['a class instance', new (class Thing {})()],
    ['a function', () => ({})],
  ])('refuses %s', (_name, value) => {
    expect(isPlainObject(value)).toBe(false);
  });

  it('narrows to a record whose fields can be read', () => {
    const value: unknown = JSON.parse('{"status": "OK"}');
    expect(isPlainObject(value) ? value.status : undefined).toBe('OK');
  });
});
