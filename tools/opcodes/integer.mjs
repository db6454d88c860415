// The integer instruction set (8086 through Pentium Pro), one row per opcode form.
// Source: Intel SDM Vol. 2, appendix A (opcode maps) and the instruction pages.
//
// Row: [opcode, reg, mnemonic, operands, handler, flags]
//   opcode   0x00-0xFF one-byte map, 0x0F00-0x0FFF two-byte map (0F xx)
//   reg      ModRM.reg for group opcodes, or -1
//   operands SDM appendix A notation (Eb Ev Gv Ib Iz Jb Ap Ob ...); they decide whether a ModRM
//            byte follows and how long the immediate is (tools/gen-opcodes.mjs)
//   handler  call template in assembly/ops/*; $T becomes u8, or u16/u32 for the two
//            operand sizes of a 'v'/'z' form
//   flags    'L' LOCK allowed (with a memory destination)
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const ALU_M = ALU.map((s) => s.toUpperCase());
const CC = ['O', 'NO', 'B', 'AE', 'E', 'NE', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G'];
const SHIFT = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL', 'SAR'];
const REG16 = ['AX', 'CX', 'DX', 'BX', 'SP', 'BP', 'SI', 'DI'];
const SREG = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];

const rows = [];
const row = (op, reg, m, args, h, flags = '') => rows.push([op, reg, m, args, h, flags]);

for (let i = 0; i < 8; i++) {
  const b = i * 8;
  const L = i === 7 ? '' : 'L';
  row(b + 0, -1, ALU_M[i], 'Eb,Gb', `alu_EG<u8>(${i})`, L);
  row(b + 1, -1, ALU_M[i], 'Ev,Gv', `alu_EG<$T>(${i})`, L);
  row(b + 2, -1, ALU_M[i], 'Gb,Eb', `alu_GE<u8>(${i})`);
  row(b + 3, -1, ALU_M[i], 'Gv,Ev', `alu_GE<$T>(${i})`);
  row(b + 4, -1, ALU_M[i], 'AL,Ib', `alu_AI<u8>(${i})`);
  row(b + 5, -1, ALU_M[i], 'eAX,Iz', `alu_AI<$T>(${i})`);
  row(0x80, i, ALU_M[i], 'Eb,Ib', `alu_EI<u8>(${i})`, L);
  row(0x81, i, ALU_M[i], 'Ev,Iz', `alu_EI<$T>(${i})`, L);
  row(0x82, i, ALU_M[i], 'Eb,Ib', `alu_EI<u8>(${i})`, L);
  row(0x83, i, ALU_M[i], 'Ev,Ibs', `alu_EIb<$T>(${i})`, L);
}
row(0x06, -1, 'PUSH', 'ES', 'push_sreg<$T>(0)');
row(0x07, -1, 'POP', 'ES', 'pop_sreg<$T>(0)');
row(0x0e, -1, 'PUSH', 'CS', 'push_sreg<$T>(1)');
row(0x16, -1, 'PUSH', 'SS', 'push_sreg<$T>(2)');
row(0x17, -1, 'POP', 'SS', 'pop_sreg<$T>(2)');
row(0x1e, -1, 'PUSH', 'DS', 'push_sreg<$T>(3)');
row(0x1f, -1, 'POP', 'DS', 'pop_sreg<$T>(3)');
row(0x27, -1, 'DAA', '', 'daa()');
row(0x2f, -1, 'DAS', '', 'das()');
row(0x37, -1, 'AAA', '', 'aaa()');
row(0x3f, -1, 'AAS', '', 'aas()');
for (let r = 0; r < 8; r++) {
  row(0x40 + r, -1, 'INC', REG16[r], `inc_R<$T>(${r})`);
  row(0x48 + r, -1, 'DEC', REG16[r], `dec_R<$T>(${r})`);
  row(0x50 + r, -1, 'PUSH', REG16[r], `push_R<$T>(${r})`);
  row(0x58 + r, -1, 'POP', REG16[r], `pop_R<$T>(${r})`);
  row(0x90 + r, -1, r ? 'XCHG' : 'NOP', r ? `${REG16[r]},eAX` : '', r ? `xchg_RA<$T>(${r})` : 'nop()');
  row(0xb0 + r, -1, 'MOV', `${REG16[r]}b,Ib`, `mov_RI<u8>(${r})`);
  row(0xb8 + r, -1, 'MOV', `${REG16[r]},Iv`, `mov_RI<$T>(${r})`);
  row(0x0fc8 + r, -1, 'BSWAP', REG16[r], `bswap_R<$T>(${r})`);
}
row(0x60, -1, 'PUSHA', '', 'pusha<$T>()');
row(0x61, -1, 'POPA', '', 'popa<$T>()');
row(0x62, -1, 'BOUND', 'Gv,Ma', 'bound<$T>()');
row(0x63, -1, 'ARPL', 'Ew,Gw', 'arpl()');
row(0x68, -1, 'PUSH', 'Iz', 'push_I<$T>()');
row(0x69, -1, 'IMUL', 'Gv,Ev,Iz', 'imul_GEI<$T>()');
row(0x6a, -1, 'PUSH', 'Ibs', 'push_Ib<$T>()');
row(0x6b, -1, 'IMUL', 'Gv,Ev,Ibs', 'imul_GEIb<$T>()');
row(0x6c, -1, 'INSB', '', 'ins<u8>()');
row(0x6d, -1, 'INS', '', 'ins<$T>()');
row(0x6e, -1, 'OUTSB', '', 'outs<u8>()');
row(0x6f, -1, 'OUTS', '', 'outs<$T>()');
for (let c = 0; c < 16; c++) {
  row(0x70 + c, -1, 'J' + CC[c], 'Jb', `jcc_b<$T>(${c})`);
  row(0x0f80 + c, -1, 'J' + CC[c], 'Jz', `jcc_z<$T>(${c})`);
  row(0x0f90 + c, -1, 'SET' + CC[c], 'Eb', `setcc(${c})`);
  row(0x0f40 + c, -1, 'CMOV' + CC[c], 'Gv,Ev', `cmovcc<$T>(${c})`);
}
row(0x84, -1, 'TEST', 'Eb,Gb', 'test_EG<u8>()');
row(0x85, -1, 'TEST', 'Ev,Gv', 'test_EG<$T>()');
row(0x86, -1, 'XCHG', 'Eb,Gb', 'xchg_EG<u8>()', 'L');
row(0x87, -1, 'XCHG', 'Ev,Gv', 'xchg_EG<$T>()', 'L');
row(0x88, -1, 'MOV', 'Eb,Gb', 'mov_EG<u8>()');
row(0x89, -1, 'MOV', 'Ev,Gv', 'mov_EG<$T>()');
row(0x8a, -1, 'MOV', 'Gb,Eb', 'mov_GE<u8>()');
row(0x8b, -1, 'MOV', 'Gv,Ev', 'mov_GE<$T>()');
row(0x8c, -1, 'MOV', 'Ev,Sw', 'mov_ES<$T>()');
row(0x8d, -1, 'LEA', 'Gv,M', 'lea<$T>()');
row(0x8e, -1, 'MOV', 'Sw,Ew', 'mov_SE()');
row(0x8f, 0, 'POP', 'Ev', 'pop_E<$T>()');
row(0x98, -1, 'CBW', '', 'cbw<$T>()');
row(0x99, -1, 'CWD', '', 'cwd<$T>()');
row(0x9a, -1, 'CALLF', 'Ap', 'callf_A<$T>()');
row(0x9b, -1, 'FWAIT', '', 'fwait()');
row(0x9c, -1, 'PUSHF', '', 'pushf<$T>()');
row(0x9d, -1, 'POPF', '', 'popf<$T>()');
row(0x9e, -1, 'SAHF', '', 'sahf()');
row(0x9f, -1, 'LAHF', '', 'lahf()');
row(0xa0, -1, 'MOV', 'AL,Ob', 'mov_AO<u8>()');
row(0xa1, -1, 'MOV', 'eAX,Ov', 'mov_AO<$T>()');
row(0xa2, -1, 'MOV', 'Ob,AL', 'mov_OA<u8>()');
row(0xa3, -1, 'MOV', 'Ov,eAX', 'mov_OA<$T>()');
row(0xa4, -1, 'MOVSB', '', 'movs<u8>()');
row(0xa5, -1, 'MOVS', '', 'movs<$T>()');
row(0xa6, -1, 'CMPSB', '', 'cmps<u8>()');
row(0xa7, -1, 'CMPS', '', 'cmps<$T>()');
row(0xa8, -1, 'TEST', 'AL,Ib', 'test_AI<u8>()');
row(0xa9, -1, 'TEST', 'eAX,Iz', 'test_AI<$T>()');
row(0xaa, -1, 'STOSB', '', 'stos<u8>()');
row(0xab, -1, 'STOS', '', 'stos<$T>()');
row(0xac, -1, 'LODSB', '', 'lods<u8>()');
row(0xad, -1, 'LODS', '', 'lods<$T>()');
row(0xae, -1, 'SCASB', '', 'scas<u8>()');
row(0xaf, -1, 'SCAS', '', 'scas<$T>()');
for (let i = 0; i < 8; i++) {
  row(0xc0, i, SHIFT[i], 'Eb,Ib', `shift_I<u8>(${i})`);
  row(0xc1, i, SHIFT[i], 'Ev,Ib', `shift_I<$T>(${i})`);
  row(0xd0, i, SHIFT[i], 'Eb,1', `shift_1<u8>(${i})`);
  row(0xd1, i, SHIFT[i], 'Ev,1', `shift_1<$T>(${i})`);
  row(0xd2, i, SHIFT[i], 'Eb,CL', `shift_CL<u8>(${i})`);
  row(0xd3, i, SHIFT[i], 'Ev,CL', `shift_CL<$T>(${i})`);
}
row(0xc2, -1, 'RET', 'Iw', 'retn_I<$T>()');
row(0xc3, -1, 'RET', '', 'retn<$T>()');
row(0xc4, -1, 'LES', 'Gv,Mp', 'lxs<$T>(0)');
row(0xc5, -1, 'LDS', 'Gv,Mp', 'lxs<$T>(3)');
row(0xc6, 0, 'MOV', 'Eb,Ib', 'mov_EI<u8>()');
row(0xc7, 0, 'MOV', 'Ev,Iz', 'mov_EI<$T>()');
row(0xc8, -1, 'ENTER', 'Iw,Ib', 'enter<$T>()');
row(0xc9, -1, 'LEAVE', '', 'leave<$T>()');
row(0xca, -1, 'RETF', 'Iw', 'retf<$T>(true)');
row(0xcb, -1, 'RETF', '', 'retf<$T>(false)');
row(0xcc, -1, 'INT3', '', 'int3()');
row(0xcd, -1, 'INT', 'Ib', 'int_I()');
row(0xce, -1, 'INTO', '', 'into()');
row(0xcf, -1, 'IRET', '', 'iret<$T>()');
row(0xd4, -1, 'AAM', 'Ib', 'aam()');
row(0xd5, -1, 'AAD', 'Ib', 'aad()');
row(0xd6, -1, 'SALC', '', 'salc()');
row(0xd7, -1, 'XLAT', '', 'xlat()');
// x87 escapes: one FPU dispatcher per opcode, keyed by ModRM (tools/opcodes/x87.mjs)
for (let i = 0; i < 8; i++) row(0xd8 + i, -1, 'ESC', 'Ew', `x87(${i})`);
row(0xe0, -1, 'LOOPNE', 'Jb', 'loop_b<$T>(0)');
row(0xe1, -1, 'LOOPE', 'Jb', 'loop_b<$T>(1)');
row(0xe2, -1, 'LOOP', 'Jb', 'loop_b<$T>(2)');
row(0xe3, -1, 'JCXZ', 'Jb', 'loop_b<$T>(3)');
row(0xe4, -1, 'IN', 'AL,Ib', 'in_I<u8>()');
row(0xe5, -1, 'IN', 'eAX,Ib', 'in_I<$T>()');
row(0xe6, -1, 'OUT', 'Ib,AL', 'out_I<u8>()');
row(0xe7, -1, 'OUT', 'Ib,eAX', 'out_I<$T>()');
row(0xe8, -1, 'CALL', 'Jz', 'call_J<$T>()');
row(0xe9, -1, 'JMP', 'Jz', 'jmp_J<$T>()');
row(0xea, -1, 'JMPF', 'Ap', 'jmpf_A<$T>()');
row(0xeb, -1, 'JMP', 'Jb', 'jmp_Jb<$T>()');
row(0xec, -1, 'IN', 'AL,DX', 'in_DX<u8>()');
row(0xed, -1, 'IN', 'eAX,DX', 'in_DX<$T>()');
row(0xee, -1, 'OUT', 'DX,AL', 'out_DX<u8>()');
row(0xef, -1, 'OUT', 'DX,eAX', 'out_DX<$T>()');
row(0xf1, -1, 'INT1', '', 'int1()');
row(0xf4, -1, 'HLT', '', 'hlt()');
row(0xf5, -1, 'CMC', '', 'cmc()');
row(0xf6, 0, 'TEST', 'Eb,Ib', 'test_EI<u8>()');
row(0xf6, 1, 'TEST', 'Eb,Ib', 'test_EI<u8>()');
row(0xf7, 0, 'TEST', 'Ev,Iz', 'test_EI<$T>()');
row(0xf7, 1, 'TEST', 'Ev,Iz', 'test_EI<$T>()');
for (const [op, T] of [[0xf6, 'u8'], [0xf7, '$T']]) {
  const E = op === 0xf6 ? 'Eb' : 'Ev';
  row(op, 2, 'NOT', E, `not_E<${T}>()`, 'L');
  row(op, 3, 'NEG', E, `neg_E<${T}>()`, 'L');
  row(op, 4, 'MUL', E, `mul_E<${T}>()`);
  row(op, 5, 'IMUL', E, `imul_E<${T}>()`);
  row(op, 6, 'DIV', E, `div_E<${T}>()`);
  row(op, 7, 'IDIV', E, `idiv_E<${T}>()`);
}
row(0xf8, -1, 'CLC', '', 'clc()');
row(0xf9, -1, 'STC', '', 'stc()');
row(0xfa, -1, 'CLI', '', 'cli()');
row(0xfb, -1, 'STI', '', 'sti()');
row(0xfc, -1, 'CLD', '', 'cld()');
row(0xfd, -1, 'STD', '', 'std()');
row(0xfe, 0, 'INC', 'Eb', 'inc_E<u8>()', 'L');
row(0xfe, 1, 'DEC', 'Eb', 'dec_E<u8>()', 'L');
row(0xff, 0, 'INC', 'Ev', 'inc_E<$T>()', 'L');
row(0xff, 1, 'DEC', 'Ev', 'dec_E<$T>()', 'L');
row(0xff, 2, 'CALL', 'Ev', 'call_E<$T>()');
row(0xff, 3, 'CALLF', 'Mp', 'callf_M<$T>()');
row(0xff, 4, 'JMP', 'Ev', 'jmp_E<$T>()');
row(0xff, 5, 'JMPF', 'Mp', 'jmpf_M<$T>()');
row(0xff, 6, 'PUSH', 'Ev', 'push_E<$T>()');

// two-byte map
for (let i = 0; i < 6; i++) row(0x0f00, i, ['SLDT', 'STR', 'LLDT', 'LTR', 'VERR', 'VERW'][i], 'Ew', `grp6(${i})`);
row(0x0f01, 0, 'SGDT', 'Ms', 'sgdt<$T>(0)'); // 0F 01 C1 is VMCALL
row(0x0f01, 1, 'SIDT', 'M', 'sgdt<$T>(1)');
row(0x0f01, 2, 'LGDT', 'M', 'lgdt<$T>(0)');
row(0x0f01, 3, 'LIDT', 'M', 'lgdt<$T>(1)');
row(0x0f01, 4, 'SMSW', 'Ew', 'smsw<$T>()');
row(0x0f01, 6, 'LMSW', 'Ew', 'lmsw()');
row(0x0f01, 7, 'INVLPG', 'M', 'invlpg()');
row(0x0f02, -1, 'LAR', 'Gv,Ew', 'lar<$T>()');
row(0x0f03, -1, 'LSL', 'Gv,Ew', 'lsl<$T>()');
row(0x0f06, -1, 'CLTS', '', 'clts()');
row(0x0f08, -1, 'INVD', '', 'wbinvd()');
row(0x0f09, -1, 'WBINVD', '', 'wbinvd()');
row(0x0f0b, -1, 'UD2', '', 'ud2()');
// 0F 19-1F: hint NOPs with a ModRM operand on P6 and later (SDM Vol. 2 NOP; appendix A)
// 0F 18 /0-/3: PREFETCHh (SSE), hints with no architectural effect
for (let op = 0x0f18; op <= 0x0f1f; op++) row(op, -1, op === 0x0f18 ? 'PREFETCH' : 'NOP', 'Ev', 'nop_E()');
row(0x0f20, -1, 'MOV', 'Rd,Cd', 'mov_RC()');
row(0x0f21, -1, 'MOV', 'Rd,Dd', 'mov_RD()');
row(0x0f22, -1, 'MOV', 'Cd,Rd', 'mov_CR()');
row(0x0f23, -1, 'MOV', 'Dd,Rd', 'mov_DR()');
row(0x0f30, -1, 'WRMSR', '', 'wrmsr()');
row(0x0f31, -1, 'RDTSC', '', 'rdtsc()');
row(0x0f32, -1, 'RDMSR', '', 'rdmsr()');
row(0x0f33, -1, 'RDPMC', '', 'rdpmc()');
row(0x0f34, -1, 'SYSENTER', '', 'sysenter()');
row(0x0f35, -1, 'SYSEXIT', '', 'sysexit()');
row(0x0fa0, -1, 'PUSH', 'FS', 'push_sreg<$T>(4)');
row(0x0fa1, -1, 'POP', 'FS', 'pop_sreg<$T>(4)');
row(0x0fa2, -1, 'CPUID', '', 'cpuid()');
row(0x0fa3, -1, 'BT', 'Ev,Gv', 'bt_EG<$T>(0)');
row(0x0fa4, -1, 'SHLD', 'Ev,Gv,Ib', 'shld<$T>(true)');
row(0x0fa5, -1, 'SHLD', 'Ev,Gv,CL', 'shld<$T>(false)');
row(0x0fa8, -1, 'PUSH', 'GS', 'push_sreg<$T>(5)');
row(0x0fa9, -1, 'POP', 'GS', 'pop_sreg<$T>(5)');
row(0x0fab, -1, 'BTS', 'Ev,Gv', 'bt_EG<$T>(1)', 'L');
row(0x0fac, -1, 'SHRD', 'Ev,Gv,Ib', 'shrd<$T>(true)');
row(0x0fad, -1, 'SHRD', 'Ev,Gv,CL', 'shrd<$T>(false)');
row(0x0fae, 0, 'FXSAVE', 'M', 'fxsave()'); // assembly/fpu/save.ts
row(0x0fae, 1, 'FXRSTOR', 'M', 'fxrstor()');
row(0x0fae, 2, 'LDMXCSR', 'M', 'ldmxcsr()'); // assembly/simd/mxcsr.ts
row(0x0fae, 3, 'STMXCSR', 'M', 'stmxcsr()');
row(0x0fae, 5, 'LFENCE', 'Ev', 'fence()');
row(0x0fae, 6, 'MFENCE', 'Ev', 'fence()');
row(0x0fae, 7, 'SFENCE', 'Ev', 'fence()'); // CLFLUSH m8 in the memory form
row(0x0fc3, -1, 'MOVNTI', 'M,Gd', 'mov_EG<u32>()');
row(0x0faf, -1, 'IMUL', 'Gv,Ev', 'imul_GE<$T>()');
row(0x0fb0, -1, 'CMPXCHG', 'Eb,Gb', 'cmpxchg<u8>()', 'L');
row(0x0fb1, -1, 'CMPXCHG', 'Ev,Gv', 'cmpxchg<$T>()', 'L');
row(0x0fb2, -1, 'LSS', 'Gv,Mp', 'lxs<$T>(2)');
row(0x0fb3, -1, 'BTR', 'Ev,Gv', 'bt_EG<$T>(2)', 'L');
row(0x0fb4, -1, 'LFS', 'Gv,Mp', 'lxs<$T>(4)');
row(0x0fb5, -1, 'LGS', 'Gv,Mp', 'lxs<$T>(5)');
row(0x0fb6, -1, 'MOVZX', 'Gv,Eb', 'movzx<$T,u8>()');
row(0x0fb7, -1, 'MOVZX', 'Gv,Ew', 'movzx<$T,u16>()');
row(0x0fba, 4, 'BT', 'Ev,Ib', 'bt_EI<$T>(0)');
row(0x0fba, 5, 'BTS', 'Ev,Ib', 'bt_EI<$T>(1)', 'L');
row(0x0fba, 6, 'BTR', 'Ev,Ib', 'bt_EI<$T>(2)', 'L');
row(0x0fba, 7, 'BTC', 'Ev,Ib', 'bt_EI<$T>(3)', 'L');
row(0x0fbb, -1, 'BTC', 'Ev,Gv', 'bt_EG<$T>(3)', 'L');
row(0x0fbc, -1, 'BSF', 'Gv,Ev', 'bsf<$T>()');
row(0x0fbd, -1, 'BSR', 'Gv,Ev', 'bsr<$T>()');
row(0x0fbe, -1, 'MOVSX', 'Gv,Eb', 'movsx<$T,u8>()');
row(0x0fbf, -1, 'MOVSX', 'Gv,Ew', 'movsx<$T,u16>()');
row(0x0fc0, -1, 'XADD', 'Eb,Gb', 'xadd<u8>()', 'L');
row(0x0fc1, -1, 'XADD', 'Ev,Gv', 'xadd<$T>()', 'L');
row(0x0fc7, 1, 'CMPXCHG8B', 'Mq', 'cmpxchg8b()', 'L');

export default rows;
export { CC, SREG };
