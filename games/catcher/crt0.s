;; crt0.s: minimal start-up code for catcher (sdasgb syntax, linked with --no-std-crt0).
;; Vectors: VBlank (0x40) sets _vblank_flag, LCD STAT (0x48) sets _lyc_flag; the entry
;; point at 0x100 jumps to init. 0x104-0x14F is left to makebin (title, checksums; no
;; logo with -yN).
;; init: zero all work RAM (0xC000-0xDFFF: BSS, the control block, the shadow OAM), copy
;; initialised data (_INITIALIZER in ROM -> _INITIALIZED in RAM), put the OAM DMA routine
;; in HRAM at 0xFF80 (C calls it as oam_dma()), run _GSINIT, call _main.

        .globl  _main
        .globl  _vblank_flag
        .globl  _lyc_flag
        _oam_dma == 0xFF80              ; global constant: the HRAM copy of dma_routine

        .area   _HEADER (ABS)
        .org    0x40                    ; VBlank interrupt: 8 bytes
        push    af
        ld      a, #1
        ld      (_vblank_flag), a
        pop     af
        reti

        .org    0x48                    ; LCD STAT interrupt (LY == LYC): 8 bytes
        push    af
        ld      a, #1
        ld      (_lyc_flag), a
        pop     af
        reti

        .org    0x100                   ; cartridge entry point
        nop
        jp      init

        ;; Order of the relocatable areas for the linker.
        .area   _HOME
        .area   _CODE
        .area   _INITIALIZER
        .area   _GSINIT
        .area   _GSFINAL
        .area   _DATA
        .area   _INITIALIZED
        .area   _BSEG
        .area   _BSS
        .area   _HEAP

        .area   _CODE
init:
        di
        ld      sp, #0xE000             ; stack grows down from the top of work RAM

        ;; zero 0xC000-0xDFFF (8 KiB)
        ld      hl, #0xC000
        ld      bc, #0x2000
zero_loop:
        xor     a, a
        ld      (hl+), a
        dec     bc
        ld      a, b
        or      a, c
        jr      NZ, zero_loop

        ;; copy initialised data
        ld      de, #s__INITIALIZED
        ld      hl, #s__INITIALIZER
        ld      bc, #l__INITIALIZER
copy_loop:
        ld      a, b
        or      a, c
        jr      Z, copy_done
        ld      a, (hl+)
        ld      (de), a
        inc     de
        dec     bc
        jr      copy_loop
copy_done:

        ;; copy the DMA routine to HRAM (the CPU may only run from HRAM during OAM DMA)
        ld      hl, #dma_routine
        ld      c, #0x80
        ld      b, #(dma_routine_end - dma_routine)
dma_copy:
        ld      a, (hl+)
        ldh     (c), a
        inc     c
        dec     b
        jr      NZ, dma_copy

        call    gsinit                  ; any code sdcc put in _GSINIT (normally none)
        call    _main
halt_forever:
        halt
        nop
        jr      halt_forever

dma_routine:                            ; copied to 0xFF80; position independent
        ld      a, #0xC1                ; shadow OAM at 0xC100
        ldh     (0x46), a               ; start DMA
        ld      a, #40                  ; wait 160 us
dma_wait:
        dec     a
        jr      NZ, dma_wait
        ret
dma_routine_end:

        .area   _GSINIT
gsinit::
        .area   _GSFINAL
        ret
