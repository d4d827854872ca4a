// Runs an Argo CD health script for real, in fengari (Lua written in JavaScript), the way Argo CD
// calls one: the object as the global `obj`, the result a table with `status` and `message`. Only
// the libraries Argo CD's sandbox offers are opened, so a script that reaches for os or io fails
// here as it would there.
import { createRequire } from 'node:module';

/** The part of fengari's C-like API this runner uses (the package ships no types). */
interface Fengari {
  to_luastring(text: string): Uint8Array;
  to_jsstring(bytes: Uint8Array): string;
  lua: {
    LUA_OK: number;
    lua_pushnil(L: unknown): void;
    lua_pushboolean(L: unknown, value: boolean): void;
    lua_pushinteger(L: unknown, value: number): void;
    lua_pushnumber(L: unknown, value: number): void;
    lua_pushstring(L: unknown, value: Uint8Array): void;
    lua_createtable(L: unknown, arrayLength: number, fields: number): void;
    lua_rawseti(L: unknown, index: number, n: number): void;
    lua_setfield(L: unknown, index: number, key: Uint8Array): void;
    lua_setglobal(L: unknown, name: Uint8Array): void;
    lua_getfield(L: unknown, index: number, key: Uint8Array): number;
    lua_istable(L: unknown, index: number): boolean;
    lua_isstring(L: unknown, index: number): boolean;
    lua_tostring(L: unknown, index: number): Uint8Array;
    lua_pop(L: unknown, n: number): void;
    lua_pcall(L: unknown, args: number, results: number, handler: number): number;
  };
  lauxlib: {
    luaL_newstate(): unknown;
    luaL_requiref(L: unknown, name: Uint8Array, open: unknown, global: number): void;
    luaL_loadstring(L: unknown, source: Uint8Array): number;
  };
  lualib: Record<string, unknown>;
}

const fengari = createRequire(import.meta.url)('fengari') as Fengari;
const { lua, lauxlib, lualib, to_luastring: luaString, to_jsstring: jsString } = fengari;

/** Argo CD's health scripts get the base, table, string and math libraries, and no os or io. */
const SANDBOX_LIBRARIES: [string, string][] = [
  ['_G', 'luaopen_base'],
  ['table', 'luaopen_table'],
  ['string', 'luaopen_string'],
  ['math', 'luaopen_math'],
];

export interface HealthStatus {
  status: string;
  message: string;
}

function push(L: unknown, value: unknown): void {
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  else if (typeof value === 'number' && Number.isInteger(value)) lua.lua_pushinteger(L, value);
  else if (typeof value === 'number') lua.lua_pushnumber(L, value);
  else if (typeof value === 'string') lua.lua_pushstring(L, luaString(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((item, i) => {
      push(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else if (typeof value === 'object') {
    const entries = Object.entries(value);
    lua.lua_createtable(L, 0, entries.length);
    for (const [key, item] of entries) {
      push(L, item);
      lua.lua_setfield(L, -2, luaString(key));
    }
  } else throw new Error(`cannot pass a ${typeof value} to Lua`);
}

function stringField(L: unknown, name: string): string {
  lua.lua_getfield(L, -1, luaString(name));
  const text = lua.lua_isstring(L, -1) ? jsString(lua.lua_tostring(L, -1)) : '';
  lua.lua_pop(L, 1);
  return text;
}

/** Runs `script` with `obj` as Argo CD does and returns what it reports. */
export function runHealthScript(script: string, obj: unknown): HealthStatus {
  const L = lauxlib.luaL_newstate();
  for (const [name, open] of SANDBOX_LIBRARIES) {
    lauxlib.luaL_requiref(L, luaString(name), lualib[open], 1);
    lua.lua_pop(L, 1);
  }
  push(L, obj);
  lua.lua_setglobal(L, luaString('obj'));
  if (
    lauxlib.luaL_loadstring(L, luaString(script)) !== lua.LUA_OK ||
    lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK
  ) {
    throw new Error(`health script failed: ${jsString(lua.lua_tostring(L, -1))}`);
  }
  if (!lua.lua_istable(L, -1)) throw new Error('health script returned no table');
  return { status: stringField(L, 'status'), message: stringField(L, 'message') };
}
