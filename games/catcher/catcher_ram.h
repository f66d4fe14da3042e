/* catcher_ram.h: the fixed WRAM block through which the emulator drives catcher.
 *
 * Mirrored by games/catcher_ram.py (tests/test_catcher_rom.py checks both agree).
 * All multi-byte values are little-endian. All x coordinates are CENTRES in screen
 * pixels (0..159); y is the TOP of an 8x8 object in screen pixels (0..143).
 * 0xC100-0xC19F holds the shadow OAM; the linker places the game's other variables from
 * 0xC200 (--data-loc).
 *
 * Frame timing: the game runs its logic from LY=1 (LYC interrupt) and draws in VBlank
 * (LY=144), so at PyBoy's frame boundary (LY=0) the CPU is halted and this block is
 * consistent. The screen of a frame shows the logic of the frame before.
 *
 * Handshake: the game boots, writes the default config, sets STATE=TITLE and waits.
 * The env saves an emulator state there; reset = load it, write the config, write
 * COMMAND=CMD_START. In the next frame the game reads the config in place, clears
 * COMMAND and sets STATE=PLAYING with FRAME=0; each later frame adds 1 to FRAME.
 * START on the joypad does the same with a seed mixed from the title frame counter
 * (for people playing it).
 */
#ifndef CATCHER_RAM_H
#define CATCHER_RAM_H

#define CR_BASE            0xC000
#define CR_MAGIC           0xC000  /* u8  0x43 'C' once booted                          */
#define CR_VERSION         0xC001  /* u8  layout version (CR_LAYOUT_VERSION)            */
#define CR_COMMAND         0xC002  /* u8  env -> game: CMD_NONE / CMD_START             */
#define CR_STATE           0xC003  /* u8  game -> env: STATE_*                          */
/* config: written by the env before CMD_START (the game clamps out-of-range values) */
#define CR_SEED            0xC004  /* u16 RNG seed (0 is replaced by 1)                 */
#define CR_FALL_SPEED      0xC006  /* u8  fall speed, 1/16 px per frame (1..64)         */
#define CR_SPAWN_INTERVAL  0xC007  /* u8  frames between spawns (1..255)                */
#define CR_MAX_OBJECTS     0xC008  /* u8  simultaneous objects (1..CR_OBJECTS)          */
#define CR_MISSES_ALLOWED  0xC009  /* u8  game over at this many misses (1..255)        */
#define CR_MAX_FRAMES      0xC00A  /* u16 game over after this many frames (0: none)    */
#define CR_BASKET_SPEED    0xC00C  /* u8  basket speed, px per frame (1..8)             */
/* state: written by the game */
#define CR_FRAME           0xC010  /* u16 frames played since start                     */
#define CR_SCORE           0xC012  /* i16 caught - missed                               */
#define CR_CAUGHT          0xC014  /* u16                                               */
#define CR_MISSED          0xC016  /* u16                                               */
#define CR_BASKET_X        0xC018  /* u8  basket centre x (8..152), 16 px wide          */
#define CR_OVER_REASON     0xC019  /* u8  0 playing, 1 misses used up, 2 frame limit    */
#define CR_SPAWNED         0xC01A  /* u16 objects spawned so far                        */
#define CR_RNG             0xC01C  /* u16 xorshift16 state                              */
#define CR_SPAWN_TIMER     0xC01E  /* u8  frames until next spawn                       */
#define CR_ACTIVE_COUNT    0xC01F  /* u8  objects falling now                           */
#define CR_OBJ_X           0xC020  /* u8[8] object centre x (4..156)                    */
#define CR_OBJ_Y           0xC028  /* u8[8] object top y in px                          */
#define CR_OBJ_ACTIVE      0xC030  /* u8[8] 1 while falling                             */
#define CR_OVERRUNS        0xC038  /* u8  frames whose logic or drawing overran (0)     */
#define CR_OBJ_Y16         0xC040  /* u16[8] object top y in 1/16 px                    */
#define CR_END             0xC050

#define CR_OBJECTS         8
#define CR_LAYOUT_VERSION  1
#define CR_MAGIC_VALUE     0x43

#define CMD_NONE           0
#define CMD_START          1

#define STATE_BOOT         0
#define STATE_TITLE        1
#define STATE_PLAYING      2
#define STATE_OVER         3

/* geometry (screen pixels) */
#define SPAWN_Y            8    /* objects appear with their top here                */
#define CATCH_Y            112  /* top y from which an object can land in the basket */
#define GROUND_Y           120  /* top y at which an uncaught object is missed       */
#define CATCH_DX           10   /* caught when |obj_x - basket_x| <= CATCH_DX         */
#define BASKET_MIN_X       8
#define BASKET_MAX_X       152
#define COLUMNS            20   /* objects fall in columns of 8 px: x = 8*col + 4     */

#ifdef __SDCC
/* The block as C variables (absolute addresses: the linker allocates nothing here). */
__at(CR_MAGIC)          unsigned char cr_magic;
__at(CR_VERSION)        unsigned char cr_version;
__at(CR_COMMAND)        unsigned char cr_command;
__at(CR_STATE)          unsigned char cr_state;
__at(CR_SEED)           unsigned int  cr_seed;
__at(CR_FALL_SPEED)     unsigned char cr_fall_speed;
__at(CR_SPAWN_INTERVAL) unsigned char cr_spawn_interval;
__at(CR_MAX_OBJECTS)    unsigned char cr_max_objects;
__at(CR_MISSES_ALLOWED) unsigned char cr_misses_allowed;
__at(CR_MAX_FRAMES)     unsigned int  cr_max_frames;
__at(CR_BASKET_SPEED)   unsigned char cr_basket_speed;
__at(CR_FRAME)          unsigned int  cr_frame;
__at(CR_SCORE)          int           cr_score;
__at(CR_CAUGHT)         unsigned int  cr_caught;
__at(CR_MISSED)         unsigned int  cr_missed;
__at(CR_BASKET_X)       unsigned char cr_basket_x;
__at(CR_OVER_REASON)    unsigned char cr_over_reason;
__at(CR_SPAWNED)        unsigned int  cr_spawned;
__at(CR_RNG)            unsigned int  cr_rng;
__at(CR_SPAWN_TIMER)    unsigned char cr_spawn_timer;
__at(CR_ACTIVE_COUNT)   unsigned char cr_active_count;
__at(CR_OBJ_X)          unsigned char cr_obj_x[CR_OBJECTS];
__at(CR_OBJ_Y)          unsigned char cr_obj_y[CR_OBJECTS];
__at(CR_OBJ_ACTIVE)     unsigned char cr_obj_active[CR_OBJECTS];
__at(CR_OVERRUNS)       unsigned char cr_overruns;
__at(CR_OBJ_Y16)        unsigned int  cr_obj_y16[CR_OBJECTS];
#endif

#endif
