/**
 * The values of an ONNX TensorProto as float64 numbers, checked against its dims, and
 * the inverse for the float32 tensors bnnc writes.
 */
import { InputError } from '../errors.js';
import { DataType, type OnnxTensor } from './proto.js';

/** A constant tensor: shape and values (float64 holds every float32/int32/uint8 exactly). */
export interface ConstTensor {
  dims: number[];
  data: Float64Array;
}

/** Largest constant bnnc reads (2^28 values, the model format's limit for one tensor). */
const MAX_VALUES = 2 ** 28;

const BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.DOUBLE]: 8,
};

export function tensorSize(dims: number[], source: string, field: string): number {
  let n = 1;
  for (const d of dims) {
    if (!(Number.isInteger(d) && d >= 0)) throw new InputError(source, field, 'non-negative integer dims', `[${dims.join(', ')}]`);
    n *= d;
    if (n > MAX_VALUES) throw new InputError(source, field, `at most ${MAX_VALUES} values`, `dims [${dims.join(', ')}]`);
  }
  return n;
}

/** Decode a TensorProto; `field` names it in errors (`initializer "fc1.weight"`). */
export function tensorValues(t: OnnxTensor, source: string, field: string): ConstTensor {
  if (t.dataLocation === 1) throw new InputError(source, field, 'data inside the model file', 'external data (save the model with its weights inside)');
  const n = tensorSize(t.dims, source, field);
  const width = BYTES[t.dataType];
  if (width === undefined) throw new InputError(source, `${field}.data_type`, 'FLOAT, DOUBLE, INT64, INT32, INT8 or UINT8', String(t.dataType));
  // The data's length is checked before the values are allocated: dims alone must not make
  // a small file allocate up to MAX_VALUES values (make fuzz's allocation budget).
  if (t.rawData.length > 0) {
    if (t.rawData.length !== n * width) {
      throw new InputError(source, `${field}.raw_data`, `${n * width} bytes (dims [${t.dims.join(', ')}])`, `${t.rawData.length} bytes`);
    }
    const out = new Float64Array(n);
    const v = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    for (let i = 0; i < n; i++) {
      switch (t.dataType) {
        case DataType.FLOAT: out[i] = v.getFloat32(4 * i, true); break;
        case DataType.DOUBLE: out[i] = v.getFloat64(8 * i, true); break;
        case DataType.INT32: out[i] = v.getInt32(4 * i, true); break;
        case DataType.INT64: out[i] = Number(v.getBigInt64(8 * i, true)); break;
        case DataType.INT8: out[i] = v.getInt8(i); break;
        default: out[i] = v.getUint8(i);
      }
    }
    return { dims: t.dims, data: out };
  }
  const src: number[] =
    t.dataType === DataType.FLOAT ? t.floatData
    : t.dataType === DataType.DOUBLE ? t.doubleData
    : t.dataType === DataType.INT64 ? t.int64Data
    : t.int32Data; // INT32, INT8, UINT8 are stored in int32_data
  if (src.length !== n) {
    throw new InputError(source, field, `${n} values (dims [${t.dims.join(', ')}])`, `${src.length}`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = t.dataType === DataType.FLOAT ? Math.fround(src[i]) : src[i];
  return { dims: t.dims, data: out };
}

/** A float32 TensorProto (raw little-endian data). */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  const raw = new Uint8Array(values.length * 4);
  const v = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) v.setFloat32(4 * i, values[i], true);
  return { name, dims, dataType: DataType.FLOAT, floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [], rawData: raw, dataLocation: 0 };
}
