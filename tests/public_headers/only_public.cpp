// What a user's program sees: the one public include, nothing else.
#include <fastactor/fastactor.hpp>
