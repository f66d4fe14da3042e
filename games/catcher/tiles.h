/* tiles.h: tile numbers of catcher's graphics (data in tiles.c, loaded at 0x8000). */
#ifndef TILES_H
#define TILES_H

#define T_SKY     0
#define T_DIGIT0  1     /* 1..10: digits 0-9 */
#define T_MINUS   11
#define T_HEART   12
#define T_CLOUD_L 13
#define T_CLOUD_M 14
#define T_CLOUD_R 15
#define T_GRASS   16
#define T_DIRT    17
#define T_BASKET_L 18
#define T_BASKET_R 19
#define T_BALL    20
#define T_A 21
#define T_C 22
#define T_E 23
#define T_G 24
#define T_H 25
#define T_M 26
#define T_O 27
#define T_P 28
#define T_R 29
#define T_S 30
#define T_T 31
#define T_V 32
#define N_TILES   33

extern const unsigned char tile_data[N_TILES * 16];

#endif
