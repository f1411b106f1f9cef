/* Accuracy of the C core's vectorisable exp and log against libm (compiled and run
 * by tests/test_c_core.py).  Prints the worst relative errors. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <math.h>
#include <stdio.h>
#include "fastgmm.h"
#define ISA _t
#include "instantiate.h"
int main(void){
  double md=0, mf=0, me=0, mef=0;
 for (double x=1; x<1000; x*=1.0001) { double e=fabs(flog_d_t(x)-log(x))/log(x+1e-300); if (x>1 && e>md) md=e; float xf=(float)x; double ef=fabs(flog_f_t(xf)-log((double)xf))/fabs(log((double)xf)+1e-30); if (x>1.01&&ef>mf) mf=ef;}
 for (double x=-700; x<=0; x+=0.0137) { double e=fabs(fexp_d_t(x)-exp(x))/exp(x); if(e>me) me=e; }
 for (double x=-80; x<=0; x+=0.0137) { double e=fabs(fexp_f_t((float)x)-exp((float)x))/exp((float)x); if(e>mef) mef=e; }
 printf("log rel err d %.2e f %.2e | exp rel err d %.2e f %.2e\n", md, mf, me, mef); return 0; }
