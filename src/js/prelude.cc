// The JavaScript half of the shell helpers. Written for this project from the behaviour that
// MongoDB's shell documents (types.js, utils.js); see docs/javascript.md for what differs.
#include "js/natives.h"

namespace aviary::js {

const char kPrelude[] = R"JS(
(function (g) {
"use strict";
const make = g.__make, slot = g.__slot;
const KIND = { NumberLong: 0, NumberInt: 1, ObjectId: 2, BinData: 3, Timestamp: 4, MinKey: 5, MaxKey: 6,
               NumberDecimal: 7 };
function hide(obj, name, value) {
  Object.defineProperty(obj, name, { value: value, writable: true, configurable: true, enumerable: false });
}
function getter(obj, name, fn) {
  Object.defineProperty(obj, name, { get: fn, configurable: true, enumerable: false });
}
function global(name, value) { hide(g, name, value); }
const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;

// ---- NumberLong: a 64-bit integer kept exactly (a BigInt in the slot); arithmetic sees a number.
function toBigInt(v) {
  if (v === undefined) return 0n;
  if (typeof v === "bigint") return v;
  if (v instanceof NumberLong) return slot(v, 0);
  if (v instanceof NumberInt) return BigInt(slot(v, 0));
  if (typeof v === "string") {
    if (!/^\s*[-+]?\d+\s*$/.test(v)) throw new Error('could not convert "' + v + '" to NumberLong');
    return BigInt(v.trim());
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error("NumberLong: not a finite number: " + v);
  return BigInt(Math.trunc(n));
}
function NumberLong(v, top, bottom) {
  let b = arguments.length === 3 ? BigInt.asIntN(64, (BigInt(top >>> 0) << 32n) | BigInt(bottom >>> 0))
                                 : toBigInt(v);
  if (b < INT64_MIN || b > INT64_MAX) throw new RangeError("NumberLong out of range: " + b);
  return make(KIND.NumberLong, b);
}
const LP = NumberLong.prototype;
hide(LP, "valueOf", function () { return Number(slot(this, 0)); });
hide(LP, "toNumber", function () { return Number(slot(this, 0)); });
hide(LP, "toString", function () {
  const b = slot(this, 0);
  return BigInt(Number(b)) === b ? "NumberLong(" + b + ")" : 'NumberLong("' + b + '")';
});
hide(LP, "tojson", function () { return this.toString(); });
hide(LP, "toJSON", function () { return { $numberLong: String(slot(this, 0)) }; });
hide(LP, "compare", function (other) {
  const a = slot(this, 0), b = toBigInt(other);
  return a < b ? -1 : a > b ? 1 : 0;
});
hide(LP, "equals", function (other) { return this.compare(other) === 0; });
getter(LP, "floatApprox", function () { return Number(slot(this, 0)); });
getter(LP, "exactValueString", function () { return String(slot(this, 0)); });
getter(LP, "top", function () { return Number(BigInt.asIntN(32, slot(this, 0) >> 32n)); });
getter(LP, "bottom", function () { return Number(BigInt.asUintN(32, slot(this, 0))); });
global("NumberLong", NumberLong);

// ---- NumberInt: a 32-bit integer.
function NumberInt(v) {
  const n = v === undefined ? 0 : (v instanceof NumberLong ? Number(slot(v, 0)) : Number(v));
  return make(KIND.NumberInt, n | 0);
}
const IP = NumberInt.prototype;
hide(IP, "valueOf", function () { return slot(this, 0); });
hide(IP, "toNumber", function () { return slot(this, 0); });
hide(IP, "toString", function () { return "NumberInt(" + slot(this, 0) + ")"; });
hide(IP, "tojson", function () { return this.toString(); });
hide(IP, "toJSON", function () { return slot(this, 0); });
global("NumberInt", NumberInt);

// ---- NumberDecimal: Decimal128, kept as its string form.
function NumberDecimal(v) { return make(KIND.NumberDecimal, v === undefined ? "0" : String(v)); }
const DP = NumberDecimal.prototype;
hide(DP, "toString", function () { return 'NumberDecimal("' + slot(this, 0) + '")'; });
hide(DP, "tojson", function () { return this.toString(); });
hide(DP, "toJSON", function () { return { $numberDecimal: slot(this, 0) }; });
hide(DP, "valueOf", function () { return Number(slot(this, 0)); });
global("NumberDecimal", NumberDecimal);

// ---- ObjectId: 12 bytes, kept as 24 lower-case hex digits.
let oidCounter = Math.floor(Math.random() * 0xFFFFFF);
const oidRandom = Array.from({ length: 5 }, () => Math.floor(Math.random() * 256));
function hex(n, digits) { return n.toString(16).padStart(digits, "0"); }
function ObjectId(h) {
  if (h === undefined) {
    oidCounter = (oidCounter + 1) & 0xFFFFFF;
    h = hex(Math.floor(Date.now() / 1000), 8) + oidRandom.map(b => hex(b, 2)).join("") + hex(oidCounter, 6);
  } else if (h instanceof ObjectId) {
    h = slot(h, 0);
  } else if (typeof h !== "string" || !/^[0-9a-fA-F]{24}$/.test(h)) {
    throw new Error("invalid ObjectId: " + h + " (give 24 hex digits)");
  }
  return make(KIND.ObjectId, h.toLowerCase());
}
const OP = ObjectId.prototype;
getter(OP, "str", function () { return slot(this, 0); });
hide(OP, "toString", function () { return 'ObjectId("' + slot(this, 0) + '")'; });
hide(OP, "tojson", function () { return this.toString(); });
hide(OP, "toJSON", function () { return { $oid: slot(this, 0) }; });
hide(OP, "valueOf", function () { return slot(this, 0); });
hide(OP, "getTimestamp", function () { return new Date(parseInt(slot(this, 0).slice(0, 8), 16) * 1000); });
hide(OP, "equals", function (o) { return o instanceof ObjectId && slot(o, 0) === slot(this, 0); });
hide(OP, "isObjectId", true);
hide(ObjectId, "fromDate", function (d) {
  if (!(d instanceof Date)) throw new Error("ObjectId.fromDate needs a Date");
  return ObjectId(hex(Math.floor(d.getTime() / 1000), 8) + "0000000000000000");
});
global("ObjectId", ObjectId);

// ---- BinData: subtype and base64 text.
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function bytesToBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const v = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    s += B64[(v >> 18) & 63] + B64[(v >> 12) & 63] + (i + 1 < bytes.length ? B64[(v >> 6) & 63] : "=") +
         (i + 2 < bytes.length ? B64[v & 63] : "=");
  }
  return s;
}
function base64ToBytes(s) {
  const out = [];
  let acc = 0, bits = 0;
  for (const c of s) {
    if (c === "=") break;
    const d = B64.indexOf(c);
    if (d < 0) throw new Error("invalid base64: " + s);
    acc = ((acc << 6) | d) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xFF); }
  }
  return out;
}
function BinData(subtype, base64) {
  if (typeof base64 !== "string") throw new Error("BinData(subtype, base64) needs a base64 string");
  base64ToBytes(base64);
  return make(KIND.BinData, Number(subtype) | 0, base64);
}
const BP = BinData.prototype;
hide(BP, "subtype", function () { return slot(this, 0); });
hide(BP, "base64", function () { return slot(this, 1); });
hide(BP, "length", function () { return base64ToBytes(slot(this, 1)).length; });
hide(BP, "hex", function () { return base64ToBytes(slot(this, 1)).map(b => hex(b, 2)).join(""); });
hide(BP, "toString", function () { return "BinData(" + slot(this, 0) + ',"' + slot(this, 1) + '")'; });
hide(BP, "tojson", function () { return this.toString(); });
hide(BP, "toJSON", function () { return { $binary: { base64: slot(this, 1), subType: hex(slot(this, 0), 2) } }; });
global("BinData", BinData);
function HexData(subtype, h) {
  h = String(h);
  if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw new Error("invalid hex: " + h);
  const bytes = [];
  for (let i = 0; i < h.length; i += 2) bytes.push(parseInt(h.substr(i, 2), 16));
  return BinData(subtype, bytesToBase64(bytes));
}
global("HexData", HexData);
global("UUID", function UUID(h) { return HexData(4, h === undefined ? "" : String(h).replace(/-/g, "")); });
global("MD5", function MD5(h) { return HexData(5, h); });

// ---- Timestamp(t, i).
function Timestamp(t, i) { return make(KIND.Timestamp, Number(t || 0) >>> 0, Number(i || 0) >>> 0); }
const TP = Timestamp.prototype;
getter(TP, "t", function () { return slot(this, 0); });
getter(TP, "i", function () { return slot(this, 1); });
hide(TP, "getTime", function () { return slot(this, 0); });
hide(TP, "getInc", function () { return slot(this, 1); });
hide(TP, "toString", function () { return "Timestamp(" + slot(this, 0) + ", " + slot(this, 1) + ")"; });
hide(TP, "tojson", function () { return this.toString(); });
hide(TP, "toJSON", function () { return { $timestamp: { t: slot(this, 0), i: slot(this, 1) } }; });
global("Timestamp", Timestamp);

// ---- MinKey / MaxKey.
let minKey, maxKey;
function MinKey() { return minKey || (minKey = make(KIND.MinKey)); }
function MaxKey() { return maxKey || (maxKey = make(KIND.MaxKey)); }
hide(MinKey.prototype, "tojson", function () { return "{ \"$minKey\" : 1 }"; });
hide(MaxKey.prototype, "tojson", function () { return "{ \"$maxKey\" : 1 }"; });
hide(MinKey.prototype, "toJSON", function () { return { $minKey: 1 }; });
hide(MaxKey.prototype, "toJSON", function () { return { $maxKey: 1 }; });
global("MinKey", MinKey);
global("MaxKey", MaxKey);

// ---- Dates.
function pad(n, w) { return String(n).padStart(w, "0"); }
hide(Date.prototype, "tojson", function () {
  if (isNaN(this.getTime())) return "ISODate(\"Invalid Date\")";
  let s = pad(this.getUTCFullYear(), 4) + "-" + pad(this.getUTCMonth() + 1, 2) + "-" + pad(this.getUTCDate(), 2) +
          "T" + pad(this.getUTCHours(), 2) + ":" + pad(this.getUTCMinutes(), 2) + ":" + pad(this.getUTCSeconds(), 2);
  if (this.getUTCMilliseconds()) s += "." + pad(this.getUTCMilliseconds(), 3);
  return 'ISODate("' + s + 'Z")';
});
// ISODate("2012-12-19T06:01:17.171Z"), also without separators, seconds or zone (UTC then).
function ISODate(text) {
  if (text === undefined) return new Date();
  const m = /^\s*(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/
      .exec(String(text));
  if (!m) throw new Error("invalid ISO date: " + text);
  let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0),
                    Math.round(parseFloat(m[7] || "0") * 1000));
  if (m[8] && m[8] !== "Z") {
    const sign = m[8][0] === "-" ? 1 : -1;
    const digits = m[8].slice(1).replace(":", "");
    ms += sign * (parseInt(digits.slice(0, 2), 10) * 60 + (parseInt(digits.slice(2), 10) || 0)) * 60000;
  }
  return new Date(ms);
}
global("ISODate", ISODate);
hide(RegExp.prototype, "tojson", RegExp.prototype.toString);

// ---- Arrays.
hide(Array, "contains", function (a, x) {
  for (let i = 0; i < a.length; i++) if (a[i] == x) return true;
  return false;
});
hide(Array, "unique", function (a) {
  const u = [];
  for (let i = 0; i < a.length; i++) if (!Array.contains(u, a[i])) u.push(a[i]);
  return u;
});
hide(Array, "sum", function (a) {
  if (a.length === 0) return null;
  let s = a[0];
  for (let i = 1; i < a.length; i++) s += a[i];
  return s;
});
hide(Array, "avg", function (a) { return a.length === 0 ? null : Array.sum(a) / a.length; });
hide(Array, "stdDev", function (a) {
  const avg = Array.avg(a);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.pow(a[i] - avg, 2);
  return Math.sqrt(sum / a.length);
});
hide(Array, "tojson", function (a, indent, nolint) {
  if (a.length === 0) return "[ ]";
  const sep = nolint ? " " : "\n";
  indent = nolint ? "" : (indent || "");
  const inner = nolint ? indent : indent + "\t";
  const parts = [];
  for (let i = 0; i < a.length; i++) parts.push(inner + tojson(a[i], inner, nolint));
  return "[" + sep + parts.join("," + sep) + sep + indent + "]";
});

// ---- Objects.
hide(Object, "extend", function (dst, src, deep) {
  for (const k in src) {
    let v = src[k];
    if (deep && typeof v === "object" && v !== null) v = Object.extend(Array.isArray(v) ? [] : {}, v, true);
    dst[k] = v;
  }
  return dst;
});

// ---- tojson and friends: the shell's display format.
function tojsonObject(x, indent, nolint) {
  if (typeof x.tojson === "function" && x.tojson !== tojson) return x.tojson(indent, nolint);
  if (x.constructor && typeof x.constructor.tojson === "function" && x.constructor.tojson !== tojson) {
    return x.constructor.tojson(x, indent, nolint);
  }
  if (x instanceof Error) return x.toString();
  const lineEnding = nolint ? " " : "\n";
  const inner = (indent || "") + (nolint ? "" : "\t");
  const fields = [];
  for (const k in x) {
    const v = x[k];
    if (typeof v === "function") continue;
    fields.push(inner + JSON.stringify(k) + " : " + tojson(v, inner, nolint));
  }
  if (fields.length === 0) return "{ }";
  return "{" + lineEnding + fields.join("," + lineEnding) + lineEnding + (indent || "") + "}";
}
function tojson(x, indent, nolint) {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  switch (typeof x) {
    case "string": return JSON.stringify(x);
    case "number": case "boolean": return "" + x;
    case "bigint": return x + "n";
    case "function": return x.toString();
    case "object": {
      let s = tojsonObject(x, indent || "", nolint);
      if ((nolint == null || nolint === true) && s.length < 80 && !indent) s = s.replace(/[\t\r\n]+/gm, " ");
      return s;
    }
  }
  return String(x);
}
global("tojson", tojson);
global("tojsonObject", tojsonObject);
global("tojsononeline", function (x) { return tojson(x, " ", true); });
global("printjson", function (x) { g.print(tojson(x)); });
global("printjsononeline", function (x) { g.print(tojson(x, " ", true)); });

// ---- Predicates and assertions.
global("isNumber", function (x) { return typeof x === "number"; });
global("isObject", function (x) { return typeof x === "object"; });
global("isString", function (x) { return typeof x === "string"; });
function assert(ok, msg) { if (!ok) throw new Error("assert failed" + (msg === undefined ? "" : " : " + msg)); }
hide(assert, "eq", function (a, b, msg) {
  if (a != b && tojson(a) !== tojson(b)) {
    throw new Error("[" + tojson(a) + "] != [" + tojson(b) + "] are not equal" + (msg ? " : " + msg : ""));
  }
});
global("assert", assert);
global("gc", function () {});
delete g.__make;
delete g.__slot;
})(this);
)JS";

}  // namespace aviary::js
