// The SSE/SSE2 floating-point instructions, conversions and MXCSR (see tools/opcodes/simd.mjs for
// the row format). Handlers: assembly/simd/fp.ts, assembly/simd/convert.ts.
import { rowsOf } from './simd.mjs';

const { rows, row } = rowsOf();

row(0x0f28, '', -1, 'MOVAPS', 'Vps,Wps', 'mov_VW()');
row(0x0f28, '66', -1, 'MOVAPD', 'Vpd,Wpd', 'mov_VW()');
row(0x0f29, '', -1, 'MOVAPS', 'Wps,Vps', 'mov_WV()');
row(0x0f29, '66', -1, 'MOVAPD', 'Wpd,Vpd', 'mov_WV()');
row(0x0f10, '', -1, 'MOVUPS', 'Vps,Wps', 'mov_VW()', 'U');
row(0x0f10, '66', -1, 'MOVUPD', 'Vpd,Wpd', 'mov_VW()', 'U');
row(0x0f11, '', -1, 'MOVUPS', 'Wps,Vps', 'mov_WV()', 'U');
row(0x0f11, '66', -1, 'MOVUPD', 'Wpd,Vpd', 'mov_WV()', 'U');

export default rows;
