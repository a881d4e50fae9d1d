// SPDX-License-Identifier: MIT
/* placeholder: implemented by the core-engine work */
#include "pgtable/pgtable.h"
