/* catcher.c: catch the falling balls with the basket. A Game Boy game for sdcc -msm83.
 *
 * Each frame: wait for LY=1 (LYC interrupt), read the joypad, run the game logic (which
 * fills the shadow OAM and the HUD tiles), then wait for VBlank and draw (OAM DMA and the
 * few background tiles that changed). PyBoy's frame boundary is LY=0, so between two
 * emulator ticks the CPU is always halted and the block in catcher_ram.h is consistent.
 */
#include "catcher_ram.h"
#include "tiles.h"

typedef unsigned char u8;
typedef unsigned int u16;
typedef int i16;

#define REG(a)  (*(volatile u8 *)(a))
#define JOYP    REG(0xFF00)
#define IF_REG  REG(0xFF0F)
#define LCDC    REG(0xFF40)
#define STAT    REG(0xFF41)
#define LY      REG(0xFF44)
#define LYC     REG(0xFF45)
#define BGP     REG(0xFF47)
#define OBP0    REG(0xFF48)
#define IE_REG  REG(0xFFFF)
#define VRAM_TILES ((volatile u8 *)0x8000)
#define BG_MAP     ((volatile u8 *)0x9800)
#define OAM        ((volatile u8 *)0xFE00)

#define J_RIGHT 0x01
#define J_LEFT  0x02
#define J_START 0x80

#define HUD_SCORE_COL 1   /* sign + 4 digits */
#define HUD_LIVES_COL 15  /* heart + 3 digits */
#define HUD_LEN       18  /* columns 1..18 of row 0 */
#define BASKET_OAM_Y  136 /* basket top 120 + 16 */

/* background jobs done at the next VBlank */
#define BG_CLEAR_TEXT 0x01
#define BG_TITLE      0x02
#define BG_OVER       0x04
#define BG_HUD        0x08

__at(0xC100) u8 shadow_oam[160];  /* copied to OAM by DMA (must be 256-aligned) */
void oam_dma(void);               /* in HRAM, see crt0.s */

volatile u8 vblank_flag;          /* set by the VBlank interrupt (crt0.s) */
volatile u8 lyc_flag;             /* set by the LCD STAT (LYC=1) interrupt */
static u8 bg_jobs;
static u8 joy_prev;
static u8 joy;
static u16 title_frames;
static u8 hud[HUD_LEN];

static const u8 txt_catcher[] = {T_C, T_A, T_T, T_C, T_H, T_E, T_R};
static const u8 txt_press_start[] = {T_P, T_R, T_E, T_S, T_S, T_SKY, T_S, T_T, T_A, T_R, T_T};
static const u8 txt_game_over[] = {T_G, T_A, T_M, T_E, T_SKY, T_O, T_V, T_E, T_R};
#define TITLE_ROW 6
#define TITLE_COL 6
#define PRESS_ROW 9
#define PRESS_COL 4
#define OVER_ROW 7
#define OVER_COL 5

static void wait_lyc(void)
{
    lyc_flag = 0;
    while (!lyc_flag) {
        __asm__("halt");
        __asm__("nop");
    }
}

static void wait_vblank(void)
{
    vblank_flag = 0;
    while (!vblank_flag) {
        __asm__("halt");
        __asm__("nop");
    }
}

/* VRAM is written only in VBlank, so plain (non-volatile) pointers are enough here and
 * let sdcc make a tight loop (n >= 1). */
static void put_tiles(u16 offset, const u8 *src, u8 n)
{
    u8 *dst = (u8 *)BG_MAP + offset;
    do {
        *dst++ = *src++;
    } while (--n);
}

static void fill_tiles(u16 offset, u8 n)
{
    u8 *dst = (u8 *)BG_MAP + offset;
    do {
        *dst++ = T_SKY;
    } while (--n);
}

/* decimal digits of v (< 10000) right-aligned into dst[0..width-1], optional minus */
static void format_number(u8 *dst, u16 v, u8 width, u8 negative)
{
    static const u16 powers[] = {1000, 100, 10, 1};
    u8 digits[4], i, first = 3, n;
    for (i = 0; i < 4; i++) {
        u8 d = 0;
        while (v >= powers[i]) {
            v -= powers[i];
            d++;
        }
        digits[i] = d;
    }
    for (i = 0; i < 3; i++) {
        if (digits[i]) {
            first = i;
            break;
        }
    }
    n = 4 - first;  /* significant digits */
    for (i = 0; i < width; i++)
        dst[i] = T_SKY;
    for (i = 0; i < n && i < width; i++)
        dst[width - 1 - i] = T_DIGIT0 + digits[3 - i];
    if (negative && n < width)
        dst[width - 1 - n] = T_MINUS;
}

static void update_hud(void)
{
    i16 score = cr_score;
    u16 mag = score < 0 ? (u16)(-score) : (u16)score;
    u16 left = cr_misses_allowed - cr_missed;
    u8 i;
    if (mag > 9999)
        mag = 9999;
    for (i = 0; i < HUD_LEN; i++)
        hud[i] = T_SKY;
    format_number(hud + (HUD_SCORE_COL - 1), mag, 5, score < 0);
    hud[HUD_LIVES_COL - 1] = T_HEART;
    format_number(hud + HUD_LIVES_COL, left > 999 ? 999 : left, 3, 0);
    bg_jobs |= BG_HUD;
}

/* shadow OAM: sprites 0,1 basket; 2..9 objects */
static void update_sprites(void)
{
    u8 i, *s = shadow_oam;
    if (cr_state != STATE_PLAYING) {
        for (i = 0; i < 2 + CR_OBJECTS; i++, s += 4)
            s[0] = 0;  /* y = 0: hidden */
        return;
    }
    s[0] = BASKET_OAM_Y;
    s[1] = cr_basket_x;  /* centre; OAM x = left + 8 */
    s[2] = T_BASKET_L;
    s[4] = BASKET_OAM_Y;
    s[5] = cr_basket_x + 8;
    s[6] = T_BASKET_R;
    s += 8;
    for (i = 0; i < CR_OBJECTS; i++, s += 4) {
        if (cr_obj_active[i]) {
            s[0] = cr_obj_y[i] + 16;
            s[1] = cr_obj_x[i] + 4;  /* centre - 4 + 8 */
            s[2] = T_BALL;
        } else {
            s[0] = 0;
        }
    }
}

static void draw(void)
{
    oam_dma();
    if (bg_jobs & BG_CLEAR_TEXT) {
        fill_tiles((TITLE_ROW << 5) + TITLE_COL, sizeof txt_catcher);
        fill_tiles((PRESS_ROW << 5) + PRESS_COL, sizeof txt_press_start);
        fill_tiles((OVER_ROW << 5) + OVER_COL, sizeof txt_game_over);
    }
    if (bg_jobs & BG_TITLE) {
        put_tiles((TITLE_ROW << 5) + TITLE_COL, txt_catcher, sizeof txt_catcher);
        put_tiles((PRESS_ROW << 5) + PRESS_COL, txt_press_start, sizeof txt_press_start);
    }
    if (bg_jobs & BG_OVER)
        put_tiles((OVER_ROW << 5) + OVER_COL, txt_game_over, sizeof txt_game_over);
    if (bg_jobs & BG_HUD)
        put_tiles(1, hud, HUD_LEN);
    bg_jobs = 0;
}

static u8 read_joypad(void)
{
    u8 d, b;
    JOYP = 0x20;  /* d-pad */
    d = JOYP; d = JOYP;
    JOYP = 0x10;  /* buttons */
    b = JOYP; b = JOYP; b = JOYP; b = JOYP;
    JOYP = 0x30;
    return (u8)(~((b << 4) | (d & 0x0F)));  /* 1 = pressed; low nibble d-pad */
}

static u8 rng_next(void)
{
    u16 x = cr_rng;
    x ^= x << 7;
    x ^= x >> 9;
    x ^= x << 8;
    cr_rng = x;
    return (u8)(x >> 8);
}

static u8 clamp8(u8 v, u8 lo, u8 hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static void start_game(void)
{
    u8 i;
    cr_fall_speed = clamp8(cr_fall_speed, 1, 64);
    cr_spawn_interval = clamp8(cr_spawn_interval, 1, 255);
    cr_max_objects = clamp8(cr_max_objects, 1, CR_OBJECTS);
    cr_misses_allowed = clamp8(cr_misses_allowed, 1, 255);
    cr_basket_speed = clamp8(cr_basket_speed, 1, 8);
    cr_rng = cr_seed ? cr_seed : 1;
    cr_frame = 0;
    cr_score = 0;
    cr_caught = 0;
    cr_missed = 0;
    cr_spawned = 0;
    cr_basket_x = 80;
    cr_over_reason = 0;
    cr_spawn_timer = 0;
    cr_active_count = 0;
    for (i = 0; i < CR_OBJECTS; i++) {
        cr_obj_active[i] = 0;
        cr_obj_x[i] = 0;
        cr_obj_y[i] = 0;
        cr_obj_y16[i] = 0;
    }
    cr_command = CMD_NONE;
    cr_state = STATE_PLAYING;
    bg_jobs |= BG_CLEAR_TEXT;
    update_hud();
}

static void spawn(void)
{
    u8 i;
    if (cr_active_count >= cr_max_objects)
        return;  /* the world does not wait: this spawn is skipped */
    for (i = 0; i < CR_OBJECTS; i++) {
        if (!cr_obj_active[i]) {
            cr_obj_x[i] = (u8)((rng_next() % COLUMNS) << 3) + 4;
            cr_obj_y[i] = SPAWN_Y;
            cr_obj_y16[i] = SPAWN_Y << 4;
            cr_obj_active[i] = 1;
            cr_active_count++;
            cr_spawned++;
            return;
        }
    }
}

static void game_over(u8 reason)
{
    u8 i;
    for (i = 0; i < CR_OBJECTS; i++)
        cr_obj_active[i] = 0;
    cr_active_count = 0;
    cr_over_reason = reason;
    cr_state = STATE_OVER;
    bg_jobs |= BG_OVER;
}

static void step_game(void)
{
    u8 i, y, bx, speed, dx, landed = 0;
    u16 y16;
    cr_frame++;

    bx = cr_basket_x;
    speed = cr_basket_speed;
    if (joy & J_LEFT)
        bx = bx >= BASKET_MIN_X + speed ? bx - speed : BASKET_MIN_X;
    if (joy & J_RIGHT)
        bx = bx + speed <= BASKET_MAX_X ? bx + speed : BASKET_MAX_X;
    cr_basket_x = bx;

    if (cr_spawn_timer == 0) {
        spawn();
        cr_spawn_timer = cr_spawn_interval;
    }
    cr_spawn_timer--;

    speed = cr_fall_speed;
    for (i = 0; i < CR_OBJECTS; i++) {
        if (!cr_obj_active[i])
            continue;
        y16 = cr_obj_y16[i] + speed;
        cr_obj_y16[i] = y16;
        y = (u8)(y16 >> 4);
        cr_obj_y[i] = y;
        if (y >= GROUND_Y) {
            cr_obj_active[i] = 0;
            cr_active_count--;
            cr_missed++;
            cr_score--;
            landed = 1;
        } else if (y >= CATCH_Y) {
            dx = cr_obj_x[i] > bx ? cr_obj_x[i] - bx : bx - cr_obj_x[i];
            if (dx <= CATCH_DX) {
                cr_obj_active[i] = 0;
                cr_active_count--;
                cr_caught++;
                cr_score++;
                landed = 1;
            }
        }
    }
    if (landed)
        update_hud();

    if (cr_missed >= cr_misses_allowed)
        game_over(1);
    else if (cr_max_frames && cr_frame >= cr_max_frames)
        game_over(2);
}

static void update(void)
{
    u8 pressed = joy & (u8)~joy_prev;
    switch (cr_state) {
    case STATE_TITLE:
        title_frames++;
        if (cr_command == CMD_START) {
            start_game();
        } else if (pressed & J_START) {
            cr_seed ^= title_frames;
            start_game();
        }
        break;
    case STATE_PLAYING:
        step_game();
        break;
    default:  /* STATE_OVER: stays until START (people) or a state reload (env) */
        if (pressed & J_START) {
            cr_seed = cr_rng;
            start_game();
        }
        break;
    }
    update_sprites();
}

static void init_video(void)
{
    u16 i;
    u8 c;
    while (LY != 144)
        ;
    LCDC = 0;  /* LCD off: VRAM free to write */
    for (i = 0; i < sizeof tile_data; i++)
        VRAM_TILES[i] = tile_data[i];
    for (i = 0; i < 32 * 32; i++)
        BG_MAP[i] = T_SKY;
    BG_MAP[(3 << 5) + 2] = T_CLOUD_L;
    BG_MAP[(3 << 5) + 3] = T_CLOUD_M;
    BG_MAP[(3 << 5) + 4] = T_CLOUD_R;
    BG_MAP[(12 << 5) + 13] = T_CLOUD_L;
    BG_MAP[(12 << 5) + 14] = T_CLOUD_M;
    BG_MAP[(12 << 5) + 15] = T_CLOUD_M;
    BG_MAP[(12 << 5) + 16] = T_CLOUD_R;
    for (c = 0; c < 20; c++) {
        BG_MAP[(16 << 5) + c] = T_GRASS;
        BG_MAP[(17 << 5) + c] = T_DIRT;
    }
    for (i = 0; i < 160; i++) {
        OAM[i] = 0;
        shadow_oam[i] = 0;
    }
    BGP = 0xE4;   /* 0 white, 1 light, 2 dark, 3 black */
    OBP0 = 0xE4;
    LYC = 1;
    STAT = 0x40;  /* interrupt when LY == LYC */
    LCDC = 0x93;  /* on, tiles at 0x8000, sprites 8x8 on, background on */
}

void main(void)
{
    init_video();
    cr_version = CR_LAYOUT_VERSION;
    cr_seed = 0xACE1;
    cr_fall_speed = 16;
    cr_spawn_interval = 56;
    cr_max_objects = 4;
    cr_misses_allowed = 5;
    cr_max_frames = 0;
    cr_basket_speed = 2;
    cr_state = STATE_TITLE;
    cr_magic = CR_MAGIC_VALUE;
    bg_jobs = BG_TITLE;
    IF_REG = 0;
    IE_REG = 0x03;  /* VBlank, LCD STAT */
    __asm__("ei");
    for (;;) {
        wait_lyc();
        joy_prev = joy;
        joy = read_joypad();
        update();
        if (LY >= 144)
            cr_overruns++;  /* logic missed this frame's VBlank */
        wait_vblank();
        draw();
        if (LY < 144)
            cr_overruns++;  /* drawing ran past VBlank */
    }
}
