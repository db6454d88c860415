// MMX and the SSE/SSE2 integer instructions and data moves (see tools/opcodes/simd.mjs for the
// row format). Handlers: assembly/simd/int.ts and assembly/simd/move.ts.
import { rowsOf } from './simd.mjs';

const { rows, row } = rowsOf();
// an MMX form (no prefix, mm operands) and its SSE2 form (66, xmm operands)
const both = (op, m, args, h, flags = '') => {
  row(op, '', -1, m, args.replace(/V/g, 'P').replace(/W/g, 'Q').replace(/x/g, 'q'), h.replace(/\$X/g, 'false'), flags);
  row(op, '66', -1, m, args, h.replace(/\$X/g, 'true'), flags);
};

row(0x0f6e, '', -1, 'MOVD', 'Pq,Ed', 'movd_to(false)');
row(0x0f6e, '66', -1, 'MOVD', 'Vx,Ed', 'movd_to(true)');
row(0x0f7e, '', -1, 'MOVD', 'Ed,Pq', 'movd_from(false)');
row(0x0f7e, '66', -1, 'MOVD', 'Ed,Vx', 'movd_from(true)');
row(0x0f6f, '', -1, 'MOVQ', 'Pq,Qq', 'movq_PQ()');
row(0x0f7f, '', -1, 'MOVQ', 'Qq,Pq', 'movq_QP()');
row(0x0f6f, '66', -1, 'MOVDQA', 'Vx,Wx', 'mov_VW()');
row(0x0f6f, 'F3', -1, 'MOVDQU', 'Vx,Wx', 'mov_VW()', 'U');
row(0x0f7f, '66', -1, 'MOVDQA', 'Wx,Vx', 'mov_WV()');
row(0x0f7f, 'F3', -1, 'MOVDQU', 'Wx,Vx', 'mov_WV()', 'U');
row(0x0f77, '', -1, 'EMMS', '', 'emms()', 'X');
both(0x0fdb, 'PAND', 'Vx,Wx', 'plogic($X, 0)');
both(0x0fdf, 'PANDN', 'Vx,Wx', 'plogic($X, 1)');
both(0x0feb, 'POR', 'Vx,Wx', 'plogic($X, 2)');
both(0x0fef, 'PXOR', 'Vx,Wx', 'plogic($X, 3)');

export default rows;
