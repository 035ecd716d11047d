// `nnwasm backends [--explain MODEL]`: lists backend plugins, or explains the choice for a model.
#pragma once

#include <string>

#include "nn/backend_manager.h"

namespace nnwasm::cli {

// Returns the exit code.
int list_backends(const nn::BackendConfig& config, const std::string& explain_model,
                  const std::string& encoding, const std::string& target);

}  // namespace nnwasm::cli
